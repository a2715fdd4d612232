/** Types of scripts/build-readme.mjs, for the tests that import it. */
export declare const ROOT: string
export declare const PARTS_DIR: string
export interface Heading {
  level: number
  text: string
  anchor: string
}
export declare function slugify(heading: string): string
export declare function headings(markdown: string): Heading[]
export declare function tableOfContents(markdown: string): string
export declare function partFiles(root?: string): string[]
export declare function buildReadme(root?: string): string
export declare function brokenLinks(markdown: string, root?: string, dir?: string): string[]
export declare function expandIncludes(part: string, root?: string): string
