/** The demo's domain: a small bookshop, in memory. */

export interface Book {
  id: string
  title: string
  author: string
  year: number
  price: number
}

export interface Review {
  id: number
  bookId: string
  stars: number
  text: string
}

export const books: readonly Book[] = [
  { id: '1', title: 'Dune', author: 'Frank Herbert', year: 1965, price: 9.99 },
  { id: '2', title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', year: 1969, price: 8.5 },
  { id: '3', title: 'Neuromancer', author: 'William Gibson', year: 1984, price: 7.25 },
  { id: '4', title: 'Kindred', author: 'Octavia E. Butler', year: 1979, price: 8.75 },
  { id: '5', title: 'Hyperion', author: 'Dan Simmons', year: 1989, price: 9.5 },
  { id: '6', title: 'The Dispossessed', author: 'Ursula K. Le Guin', year: 1974, price: 8.99 },
]

const reviews: Review[] = []

export const findBook = (id: string): Book | undefined => books.find((b) => b.id === id)

export function searchBooks(q: string): Book[] {
  const needle = q.toLowerCase()
  return books.filter((b) => `${b.title} ${b.author}`.toLowerCase().includes(needle))
}

export function addReview(bookId: string, stars: number, text: string): Review {
  if (!findBook(bookId)) throw new Error(`No book with id ${bookId}`)
  if (!Number.isInteger(stars) || stars < 1 || stars > 5) throw new Error('stars must be 1 to 5')
  const review = { id: reviews.length + 1, bookId, stars, text: text.slice(0, 500) }
  reviews.push(review)
  return review
}

export const reviewsOf = (bookId: string): Review[] => reviews.filter((r) => r.bookId === bookId)

/** Pretends to build a catalogue export; what the `cost` of the export limits pays for. */
export function exportCatalog(format: string): { format: string; rows: number; url: string } {
  return { format, rows: books.length, url: `https://example.com/exports/catalog.${format}` }
}
