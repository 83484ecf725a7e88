export { containment, resetContainment, cgroupAt, CONTAINMENT_MODES } from './cgroup';
export type { CgroupRecord, Containment, ContainmentInfo, ContainmentMode, WorkerCgroup } from './cgroup';
export { ProcessTree, WORKER_ID_ENV, relayIdentity } from './worker-tree';
export type { TreeRecord } from './worker-tree';
export { bootId, environHas, isRunning, isSameProcess, listProcesses, readStat, signalProcess } from './proc';
export type { ProcStat } from './proc';
