// A small logging interface for the core. The CLI writes to stderr; the extension puts a
// LogOutputChannel behind it. Callers never log prompt or answer text.
export interface Logger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
