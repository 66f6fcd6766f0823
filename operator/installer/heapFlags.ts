// V8's heap sized to the container it runs in. By default V8 sizes the old generation from
// the machine's memory (4 GiB on this 24 GiB lab machine), not from the container's limit,
// so it lets garbage pile up past a 256Mi limit before a full collection, and the kubelet's
// OOM kill can come first. So the rendered speaker and the controller's Deployment set
// NODE_OPTIONS=--max-old-space-size to a share of the memory limit: V8 collects in full
// before it grows past it, and the rest of the limit is left to code, buffers and gRPC.
// Measured with `make bench` (1,000 Services × 3 nodes, two runs each, BENCH_NODE_OPTIONS):
// the cap alone took the speakers' peak RSS from 177-186 MB to 147-152 MB at the same CPU and
// latency; adding --max-semi-space-size=2 (or 4, or 8) took it to 117-132 MB but cost 40% more
// speaker CPU and half again the Service change → route p99, so it is not set.
import { quantityValue } from './appliedFields';

/** The old generation's share of the container's memory limit. */
export const OLD_SPACE_SHARE = 0.6;

/** NODE_OPTIONS for a process whose container has this memory limit (a quantity); none without a limit. */
export function nodeOptionsFor(memoryLimit: string | undefined): string | undefined {
  const bytes = memoryLimit === undefined ? undefined : quantityValue(memoryLimit);
  const oldSpace = bytes === undefined ? 0 : Math.floor((bytes / 2 ** 20) * OLD_SPACE_SHARE);
  // Below 32 MiB the process cannot run anyway: no cap that would only make it crash sooner.
  return oldSpace >= 32 ? `--max-old-space-size=${oldSpace}` : undefined;
}
