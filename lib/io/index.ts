// Public exports of lib/io (filled in by issue 4).
export {};
