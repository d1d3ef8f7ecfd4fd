/**
 * Reads the language server's stderr as log records, so the REMAP LogOutputChannel tags each
 * line with the level the server logged it at (the language client's default tags every stderr
 * line `[error]`). The server and its training workers log
 * `<asctime> remap-lsp INFO <message>` and `<asctime> remap-worker[<pid>] WARNING <message>`;
 * the timestamp and level move into the channel's own columns. Lines without a header continue
 * the record before them (a traceback under `log.exception`, a multi-line message) and keep its
 * level, except that an untagged traceback or Python's own fatal output is an error.
 * No 'vscode' import.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogRecordLine {
  level: LogLevel;
  text: string;
}

const LEVELS: Readonly<Record<string, LogLevel>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
  FATAL: 'error',
};

// "2026-12-02 03:04:05,678 remap-lsp INFO message" / "... remap-worker[12] WARNING message"
const HEADER = /^(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\s+)?(remap-[\w-]+(?:\[\d+\])?)\s+(TRACE|DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\b ?(.*)$/;
// Python's own output for an uncaught exception or a fatal error, not through logging
const STARTS_ERROR = /^(Traceback \(most recent call last\):|Fatal Python error|Segmentation fault|\w+(Error|Exception)\b.*:)/;

/** Stateful: a line without a header takes the level of the record it continues. */
export class ServerLogReader {
  private level: LogLevel = 'info';

  read(line: string): LogRecordLine {
    const m = HEADER.exec(line);
    if (m) {
      this.level = LEVELS[m[2] ?? 'INFO'] ?? 'info';
      return { level: this.level, text: `${m[1] ?? 'remap'} ${m[3] ?? ''}`.trimEnd() };
    }
    if (STARTS_ERROR.test(line)) this.level = 'error';
    return { level: this.level, text: line };
  }
}
