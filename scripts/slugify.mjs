/**
 * Heading anchors made the way GitHub makes them, shared by the README build and the docs site
 * (docs/.vitepress/config.mts), so that `page.md#anchor` links work on both. Plain Node, no
 * dependencies, no hashbang (Vite bundles it into the site's config).
 */
/**
 * The heading's anchor as GitHub makes it: the text without markup, lower-cased, every character
 * that is not a letter, digit, mark, `_`, `-` or space dropped, spaces turned into `-`.
 */
export function slugify(heading) {
  return plainText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Heading text as rendered: links become their text, code and emphasis lose their markers. */
function plainText(heading) {
  return heading
    .split(/(`[^`]*`)/)
    .map((piece, i) =>
      i % 2 === 1
        ? piece.slice(1, -1)
        : unlinked(piece)
            .replace(/(\*\*|__)(.+?)\1/g, '$2')
            .replace(/<[^>]+>/g, ''),
    )
    .join('')
    .trim()
}

/** Links replaced by their text. */
export function unlinked(markdown) {
  return markdown.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
}
