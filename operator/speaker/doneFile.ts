// The speaker's side of the stop handshake with gobgpd's preStop hook (GOBGPD_PRE_STOP in
// installer/render.ts): the hook ends gobgpd only once this file exists, so a withdrawal on
// shutdown (an uninstall, withdrawOnShutdown) reaches gobgpd before gobgpd is gone.
import { rmSync, writeFileSync } from 'node:fs';
import { errorFields, type Log } from '../util/log';

/** At start: a file left by this Pod's previous speaker container says nothing of this one. */
export function clearDoneFile(path: string | undefined, log: Log): void {
  if (!path) return;
  try {
    rmSync(path, { force: true });
  } catch (err) {
    log.warn('could not remove the speaker\'s done file; on a Pod stop gobgpd may end before this speaker withdrew', { path, ...errorFields(err) });
  }
}

/** At the end of shutdown, whatever it did: gobgpd may stop now. */
export function writeDoneFile(path: string | undefined, log: Log): void {
  if (!path) return;
  try {
    writeFileSync(path, `${new Date().toISOString()}\n`);
  } catch (err) {
    log.warn('could not write the speaker\'s done file; gobgpd\'s preStop hook waits out its limit', { path, ...errorFields(err) });
  }
}
