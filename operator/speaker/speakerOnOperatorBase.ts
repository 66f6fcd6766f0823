// TEMPORARY (issue 10): runs the speaker's ControllerDefinition on the old OperatorBase
// (its own informers and queue) so main.ts keeps working until it builds the shared
// manager. Delete it together with OperatorBase; nothing else depends on it.
import type { KubeConfig } from '@kubernetes/client-node';
import type { SpeakerConfig } from '../config/types';
import { GobgpClient } from '../gobgp/client';
import type { CacheReader, Caches, ControllerDefinition, KeyRequest } from '../kube/controllerDefinition';
import type { Selector } from '../kube/informer';
import { apiKubeWriter } from '../kube/kubeWriter';
import { OperatorBase } from '../kube/operatorBase';
import type { KubeObject, ResourceRef } from '../kube/resources';
import type { Result } from '../kube/workqueue';
import type { Log } from '../util/log';
import { metrics } from '../util/metrics';
import { speakerFieldManager } from './nodeIdentity';
import { speakerRole, type SpeakerRole } from './speakerController';

export interface SpeakerOptions {
  kubeConfig: KubeConfig;
  logger: Log;
  config: SpeakerConfig;
}

const cacheKey = (resource: ResourceRef, s: Selector = {}): string => `${resource.plural}?${s.namespace ?? ''}&${s.labelSelector ?? ''}&${s.fieldSelector ?? ''}`;

/** The informers init() created, one per watch, read by the speaker as Caches. */
class InformerMap implements Caches {
  readonly byKey = new Map<string, CacheReader<KubeObject>>();
  informer<T extends KubeObject>(resource: ResourceRef, selector?: Selector): CacheReader<T> {
    const cache = this.byKey.get(cacheKey(resource, selector));
    if (!cache) throw new Error(`no informer for ${cacheKey(resource, selector)}`);
    return cache as unknown as CacheReader<T>;
  }
}

export class SpeakerOnOperatorBase extends OperatorBase {
  private readonly speaker: SpeakerRole;
  private readonly definition: ControllerDefinition;
  private readonly caches: InformerMap;
  private readonly stopping = new AbortController();

  constructor(opts: SpeakerOptions) {
    const caches = new InformerMap();
    const speaker = speakerRole({
      caches,
      router: new GobgpClient(opts.config.gobgp.target, { timeoutMs: opts.config.gobgp.timeoutMs }),
      writer: apiKubeWriter(opts.kubeConfig, speakerFieldManager(opts.config.nodeName)),
      config: opts.config,
      log: opts.logger,
    });
    const def = speaker.controller;
    super({
      name: def.name,
      kubeConfig: opts.kubeConfig,
      logger: opts.logger.child({ node: opts.config.nodeName }),
      concurrency: def.concurrency,
      resyncPeriodMs: def.requeueAllPeriodMs,
      rateLimiter: def.rateLimiter,
      onHandled: (_key, ms, outcome) => {
        metrics.reconcileDuration.observe({ role: 'speaker', outcome }, ms / 1000);
        metrics.queueDepth.set({ role: 'speaker' }, this.queueDepth());
      },
    });
    this.speaker = speaker;
    this.definition = def;
    this.caches = caches;
  }

  gobgpReachable(): boolean {
    return this.speaker.gobgpReachable();
  }

  protected override init(): Promise<void> {
    for (const w of this.definition.watches) {
      const inf = this.informer<KubeObject>(w.resource, w.selector ?? {});
      this.caches.byKey.set(cacheKey(w.resource, w.selector), inf);
      inf.onChange((type, obj, old) => {
        for (const request of w.toKeys(type, obj, old)) this.request(request);
      });
    }
    return Promise.resolve();
  }

  protected override keysForFullSync(): Iterable<string> {
    return this.definition.fullSyncKeys();
  }

  protected override reconcile(key: string): Promise<Result> {
    return this.definition.reconcile(key, { log: this.log.child({ key }), signal: this.stopping.signal, enqueue: (r) => this.request(r) });
  }

  override async shutdown(): Promise<void> {
    this.stopping.abort();
    await super.shutdown();
  }

  /** Graceful stop: the queue first, then the speaker's own shutdown (withdraw or keep routes). */
  async stopSpeaker(): Promise<void> {
    await this.shutdown();
    await this.speaker.shutdown();
  }

  private request(r: KeyRequest): void {
    if (typeof r === 'string') this.enqueue(r);
    else this.enqueueAfter(r.key, r.afterMs);
  }
}
