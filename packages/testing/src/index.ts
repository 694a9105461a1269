export {
  DEFAULT_TEST_LONG_POLL_TIMEOUT_MS,
  startReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
  type ServerFault,
} from "./server";
export {
  startFaultProxy,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
} from "./fault-proxy";
export { FAULT_KINDS, type FaultKind, type FaultPlan } from "./fault-plan";
