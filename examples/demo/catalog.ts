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

/** Reviews kept per book, the newest: anyone may add reviews, so the store must not grow forever. */
export const MAX_REVIEWS_PER_BOOK = 20

/** Per book id (only the catalogue's books: bounded too), newest first. */
const reviews = new Map<string, Review[]>()
let lastReviewId = 0

export const findBook = (id: string): Book | undefined => books.find((b) => b.id === id)

export function searchBooks(q: string): Book[] {
  const needle = q.toLowerCase()
  return books.filter((b) => `${b.title} ${b.author}`.toLowerCase().includes(needle))
}

export function addReview(bookId: string, stars: number, text: string): Review {
  if (!findBook(bookId)) throw new Error(`No book with id ${bookId}`)
  if (!Number.isInteger(stars) || stars < 1 || stars > 5) throw new Error('stars must be 1 to 5')
  const review = { id: ++lastReviewId, bookId, stars, text: text.slice(0, 500) }
  const kept = reviews.get(bookId) ?? []
  kept.unshift(review)
  if (kept.length > MAX_REVIEWS_PER_BOOK) kept.length = MAX_REVIEWS_PER_BOOK
  reviews.set(bookId, kept)
  return review
}

/** The newest `first` reviews of a book: what `Book.reviews(first:)` is priced at, never more. */
export const reviewsOf = (bookId: string, first: number): Review[] =>
  (reviews.get(bookId) ?? []).slice(0, Math.max(0, first))

/** How long building an export takes: long enough for the concurrency limits to show. */
export const EXPORT_MS = 300

/**
 * Pretends to build a catalogue export (it takes EXPORT_MS): what the `cost` of the export
 * limits pays for, and what the concurrency limits keep to 2 at once per caller.
 */
export async function exportCatalog(format: string): Promise<{ format: string; rows: number; url: string }> {
  await new Promise((resolve) => setTimeout(resolve, EXPORT_MS))
  return { format, rows: books.length, url: `https://example.com/exports/catalog.${format}` }
}
