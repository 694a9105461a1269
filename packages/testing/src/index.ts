export {
  DEFAULT_TEST_LONG_POLL_TIMEOUT_MS,
  startReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
  type ServerFault,
} from "./server";
