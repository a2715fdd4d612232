/** Types of scripts/slugify.mjs. */
export declare function slugify(heading: string): string
export declare function unlinked(markdown: string): string
