/** Types of scripts/docs-page-from-part.mjs, for the tests that import it. */
export declare function pageFromPart(
  markdown: string,
  page: string,
  root?: string,
): { markdown: string; unplaced: string[] }
