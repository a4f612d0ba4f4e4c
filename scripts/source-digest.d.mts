/** Types of source-digest.mjs, for the TypeScript that imports it (the start-up benchmark). */
export declare const DIGEST_FILE: string;
export declare function sourceFiles(root: string): string[];
export declare function sourceDigest(root: string, files?: string[], read?: (file: string) => Buffer | string): string;
