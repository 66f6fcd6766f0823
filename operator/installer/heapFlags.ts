// V8's heap sized to the container it runs in. By default V8 sizes the old generation from
// the machine's memory (gigabytes on a node), not from the container's limit, so it lets
// garbage pile up long past a 256Mi limit before a full collection, and the kubelet's OOM kill
// comes first; its young generation (three 16 MiB semi-spaces) is most of a small process's
// heap. So the rendered speaker and the controller's Deployment set NODE_OPTIONS:
//   --max-semi-space-size  small young generation: more, shorter scavenges, a smaller RSS
//   --max-old-space-size   a share of the memory limit: V8 collects in full before it grows
//                          past it, with the rest of the limit left to code, buffers, gRPC
// `make bench` prints the peak RSS and CPU seconds with and without them (BENCH_V8_FLAGS=0).
import { quantityValue } from './appliedFields';

/** MiB per semi-space (V8's default: 16 on 64-bit). */
export const SEMI_SPACE_MIB = 2;
/** The old generation's share of the container's memory limit. */
export const OLD_SPACE_SHARE = 0.6;

/** NODE_OPTIONS for a process whose container has this memory limit (a quantity); none: only the semi-space. */
export function nodeOptionsFor(memoryLimit: string | undefined): string {
  const flags = [`--max-semi-space-size=${SEMI_SPACE_MIB}`];
  const bytes = memoryLimit === undefined ? undefined : quantityValue(memoryLimit);
  const oldSpace = bytes === undefined ? 0 : Math.floor((bytes / 2 ** 20) * OLD_SPACE_SHARE);
  // Below 32 MiB the process cannot run anyway: no cap that would only make it crash sooner.
  if (oldSpace >= 32) flags.push(`--max-old-space-size=${oldSpace}`);
  return flags.join(' ');
}
