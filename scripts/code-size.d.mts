/** Types of scripts/code-size.mjs, for the test that imports it. */
export declare const ROOT: string
export declare const FILE_LINES: number
export declare const FUNCTION_LINES: number
export declare function sourceFiles(dir?: string, root?: string): string[]
export declare function lineCount(text: string): number
export declare function longFunctions(
  path: string,
  text: string,
  limit?: number,
): Array<{ name: string; line: number; lines: number }>
export declare function measure(
  dirs?: string[],
  fileLimit?: number,
  functionLimit?: number,
  root?: string,
): {
  files: Array<{ path: string; lines: number }>
  functions: Array<{ path: string; name: string; line: number; lines: number }>
}
