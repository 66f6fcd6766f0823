// Structured logging on top of tslog.
//
// One line per event. In production (stdout is not a TTY, or LOG_FORMAT=json) every
// line is a flat JSON object: {"time","level","logger","msg", ...fields}. On a TTY the
// output is tslog's pretty format. Child loggers carry key fields ({role}, {key}, ...)
// that are merged into every line they write.
//
// `Log` satisfies the framework's OperatorLogger (debug/info/warn/error(message)).

import { Logger } from 'tslog';
import type { OperatorLogger } from '@dot-i/k8s-operator';
import { isRecord } from './records';

export type LogFields = Record<string, unknown>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty' | 'hidden';

export interface Log extends OperatorLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (child fields win over the parent's). */
  child(fields: LogFields): Log;
}

export interface LogOptions {
  /** Logger name, shown as "logger" (default "vip-announcer"). */
  name?: string;
  /** Minimum level (default: $LOG_LEVEL or "info"). */
  level?: LogLevel;
  /** Output format (default: $LOG_FORMAT, else pretty on a TTY and json otherwise). */
  format?: LogFormat;
  /** Where JSON lines go (default: process.stdout). Tests capture lines here. */
  write?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
}

const LEVEL_IDS: Record<LogLevel, number> = { debug: 2, info: 3, warn: 4, error: 5 };

/** Keys whose values never reach a log line. */
const MASKED_KEYS = ['password', 'token', 'authorization', 'secret', 'bearerToken'];

function parseLevel(s: string | undefined): LogLevel | undefined {
  const v = s?.toLowerCase();
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : undefined;
}

function parseFormat(s: string | undefined): LogFormat | undefined {
  const v = s?.toLowerCase();
  return v === 'json' || v === 'pretty' || v === 'hidden' ? v : undefined;
}

/** A short, loggable description of any thrown value (no stack, no secrets). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** Fields describing an error, for the `fields` argument: `log.warn('x failed', errorFields(e))`. */
export function errorFields(err: unknown): LogFields {
  const fields: LogFields = { error: errorMessage(err) };
  if (err instanceof Error) {
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number' && statusCode > 0) fields.statusCode = statusCode;
  }
  return fields;
}

interface MetaLike {
  date?: unknown;
  logLevelName?: unknown;
  name?: unknown;
}

/** Turn tslog's log object (fields + `_meta`) into one flat JSON line. */
function flatJsonLine(obj: unknown): string {
  if (!isRecord(obj)) return JSON.stringify({ msg: String(obj) });
  const meta: MetaLike = isRecord(obj._meta) ? obj._meta : {};
  const out: Record<string, unknown> = {
    time: meta.date instanceof Date ? meta.date.toISOString() : typeof meta.date === 'string' ? meta.date : new Date().toISOString(),
    level: typeof meta.logLevelName === 'string' ? meta.logLevelName.toLowerCase() : 'info',
  };
  if (typeof meta.name === 'string') out.logger = meta.name;
  for (const [k, v] of Object.entries(obj)) {
    if (k !== '_meta') out[k] = v;
  }
  try {
    return JSON.stringify(out);
  } catch {
    return JSON.stringify({ time: out.time, level: out.level, msg: String(obj.msg), error: 'unserializable log fields' });
  }
}

class TsLog implements Log {
  constructor(
    private readonly logger: Logger<LogFields>,
    private readonly format: LogFormat,
    private readonly fields: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.emit('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.emit('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.emit('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.emit('error', message, fields);
  }

  child(fields: LogFields): Log {
    return new TsLog(this.logger, this.format, { ...this.fields, ...fields });
  }

  private emit(level: LogLevel, message: string, fields?: LogFields): void {
    const all = fields ? { ...this.fields, ...fields } : this.fields;
    if (this.format === 'pretty') {
      if (Object.keys(all).length > 0) this.logger[level](message, all);
      else this.logger[level](message);
    } else {
      this.logger[level]({ msg: message, ...all });
    }
  }
}

/** Create the root logger. */
export function createLogger(opts: LogOptions = {}): Log {
  const level = opts.level ?? parseLevel(process.env.LOG_LEVEL) ?? 'info';
  const format = opts.format ?? parseFormat(process.env.LOG_FORMAT) ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const logger = new Logger<LogFields>({
    name: opts.name ?? 'vip-announcer',
    type: format,
    minLevel: LEVEL_IDS[level],
    hideLogPositionForProduction: true,
    maskValuesOfKeys: MASKED_KEYS,
    maskValuesOfKeysCaseInsensitive: true,
    prettyInspectOptions: { breakLength: Infinity, compact: true, depth: 6 },
    overwrite: {
      transportJSON: (json: unknown) => write(flatJsonLine(json)),
    },
  });
  return new TsLog(logger, format, opts.fields ?? {});
}

/** A logger that drops everything (tests, libraries used without a logger). */
export function nullLogger(): Log {
  const log: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => log,
  };
  return log;
}
