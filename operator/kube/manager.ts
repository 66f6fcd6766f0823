// The operator's manager: @dot-i/k8s-operator's Operator lifecycle (its kubeConfig, logger and
// start() → init() → stop()) around a ProcessManager (./processManager.ts), which holds the
// informers, controllers, Lease, HTTP listeners and shutdown. The operator (controller and
// installer) runs on this; the speaker runs on a ProcessManager alone, without the framework.
import Operator from '@dot-i/k8s-operator';
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import type { CacheShape } from './cacheShape';
import type { CacheReader, ControllerDefinition } from './controllerDefinition';
import type { ControllerRunner } from './controllerRunner';
import type { Selector } from './informer';
import { ProcessManager, type Hook, type ProcessHost, type ProcessManagerOptions } from './processManager';
import type { KubeObject } from './resources';

export interface ManagerOptions extends Omit<ProcessManagerOptions, 'connection'> {
  kubeConfig: KubeConfig;
}

export class Manager extends Operator implements ProcessHost {
  readonly process: ProcessManager;

  constructor(opts: ManagerOptions) {
    super(opts.logger);
    // The framework loaded a default KubeConfig; use the one we were given.
    this.kubeConfig = opts.kubeConfig;
    this.k8sApi = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.process = new ProcessManager({ ...opts, connection: opts.kubeConfig });
    // The framework's own stop (its watches: none are opened through it) on every way out.
    this.process.onStop(() => super.stop());
  }

  informer<T extends KubeObject>(shape: CacheShape<T>, selector?: Selector): CacheReader<T> {
    return this.process.informer(shape, selector);
  }

  add(def: ControllerDefinition): ControllerRunner {
    return this.process.add(def);
  }

  addReadyCheck(name: string, ok: () => boolean): void {
    this.process.addReadyCheck(name, ok);
  }

  onStop(hook: Hook): void {
    this.process.onStop(hook);
  }

  onLeadershipLost(hook: () => void): void {
    this.process.onLeadershipLost(hook);
  }

  notReady(): string[] {
    return this.process.notReady();
  }

  isLeader(): boolean {
    return this.process.isLeader();
  }

  handleSignals(): void {
    this.process.handleSignals();
  }

  shutdown(): Promise<boolean> {
    return this.process.shutdown();
  }

  /** Framework lifecycle: init() has nothing to do (controllers are added before start). */
  protected override init(): Promise<void> {
    return Promise.resolve();
  }

  override async start(): Promise<void> {
    await super.start();
    await this.process.start();
  }

  /** Framework's synchronous stop(). */
  override stop(): void {
    void this.shutdown();
  }
}
