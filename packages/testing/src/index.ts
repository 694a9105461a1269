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
export {
  startHostileServer,
  type HostileRequest,
  type HostileServer,
  type RequestMatcher,
} from "./hostile-server";
export {
  ENDLESS_SSE_DEFAULTS,
  type HostileBehaviour,
  type HostileBehaviourKind,
  type RedirectStatus,
} from "./hostile-behaviour";
export { offsetBefore } from "./offset-before";
export {
  CACHE_CONFIG_PATH,
  NGINX_MISSING_MESSAGE,
  NGINX_PATH,
  hasNginx,
  renderCacheConfig,
  startCachingProxy,
  type CachingProxy,
  type CachingProxyOptions,
} from "./caching-proxy";
export {
  startOriginCounter,
  type OriginCounter,
  type OriginRequest,
  type OriginRequestFilter,
} from "./origin-counter";
