// What a gobgpd API target may be, decided in one place: the configuration's validation and
// the gRPC client both call gobgpTargetProblem, so a target the file accepts is one the client
// opens (a bad one exits 2 at load, never 1 at run time). gobgpd's API has no authentication,
// so only this host is allowed unless the caller explicitly allows remote targets (tests).
import { parseIP } from './ip';

/**
 * Where gobgpd's API is unless the configuration names a target: a unix socket, as the rendered
 * DaemonSet runs it (an emptyDir only the speaker and gobgpd mount). Not TCP on loopback, where
 * every process of the node (and every hostNetwork Pod) could drive gobgpd's unauthenticated API.
 */
export const GOBGP_SOCKET_DIR = '/run/gobgp';
export const GOBGP_SOCKET_FILE = 'gobgp.sock';
export const DEFAULT_GOBGP_TARGET = `unix://${GOBGP_SOCKET_DIR}/${GOBGP_SOCKET_FILE}`;

/**
 * Beside the socket, the speaker's word to gobgpd's preStop hook that it is done with gobgpd
 * (withdrawn, or decided to keep the routes). The kubelet runs a sidecar's preStop at once,
 * together with the speaker's SIGTERM, not after the speaker exited; the hook waits for this.
 */
export const SPEAKER_DONE_FILE = 'speaker.done';

/** Where the speaker leaves SPEAKER_DONE_FILE for a unix target; none for a TCP one. */
export function speakerDonePath(target: string): string | undefined {
  const path = /^unix:\/\/(\/.*)$/.exec(target)?.[1];
  if (path === undefined) return undefined;
  return `${path.slice(0, path.lastIndexOf('/'))}/${SPEAKER_DONE_FILE}`;
}

/** Accepted forms, for messages. */
export const GOBGP_TARGET_FORMS = 'a loopback host:port (127.0.0.1:50051, [::1]:50051, localhost:50051) or unix:///absolute/path';

const HOST_PORT = /^(?:\[([^\]]*)\]|([^\s:/[\]]+)):(\d{1,5})$/;
// A DNS name as grpc-js's resolver takes it (only with allowRemote).
const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

/** Why `target` is not an acceptable gobgpd target, or undefined when it is. */
export function gobgpTargetProblem(target: string, allowRemote = false): string | undefined {
  if (target.startsWith('unix:')) return unixProblem(target);
  const m = HOST_PORT.exec(target);
  if (!m) return `gobgpd target "${target}" is neither host:port nor unix:///path`;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `gobgpd target "${target}" has a port outside 1-65535`;
  const bracketed = m[1];
  const host = bracketed ?? m[2] ?? '';
  const ip = parseIP(host);
  if (bracketed !== undefined && !(ip.ok && ip.ip.family === 6)) {
    return `gobgpd target "${target}": brackets must hold an IPv6 address (${ip.ok ? 'not IPv4' : ip.reason})`;
  }
  if (!ip.ok && host.includes(':')) return `gobgpd target "${target}": an IPv6 address needs brackets, e.g. [::1]:50051`;
  if (!ip.ok && !HOSTNAME.test(host)) return `gobgpd target "${target}" has an invalid host`;
  if (allowRemote || isLoopback(host)) return undefined;
  return `gobgpd target "${target}" is not loopback; gobgpd's API is unauthenticated`;
}

/** grpc-js also takes "unix:relative"; an absolute path is the only unambiguous form. */
function unixProblem(target: string): string | undefined {
  const path = /^unix:\/\/(\/.*)$/.exec(target)?.[1];
  if (path === undefined || path.length <= 1) return `gobgpd target "${target}" must be unix:///absolute/path`;
  if (/[\s\0]/.test(path)) return `gobgpd target "${target}" has a blank or NUL in its socket path`;
  return undefined;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const parsed = parseIP(host);
  if (!parsed.ok) return false;
  return parsed.ip.family === 4 ? parsed.ip.value >> 24n === 127n : parsed.ip.value === 1n;
}
