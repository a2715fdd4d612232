export declare const DOCS: string
export declare function sitePages(root?: string): string[]
export declare function brokenDocsLinks(root?: string): string[]
