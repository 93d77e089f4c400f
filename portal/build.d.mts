export declare const buildPortal: () => Promise<{ readonly jsBytes: number; readonly jsGzipBytes: number }>
