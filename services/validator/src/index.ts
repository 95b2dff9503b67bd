// @baton/validator: sends the spec's test and warm-up traffic to the new revision through the
// preview Service, and reports ValidationPassed or ValidationFailed with every check's result.
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { kubeEventRecorder, loadKubeConfig, type ServiceModule } from "@baton/runtime";
import { validatorStage } from "./stage.js";

export const validatorService: ServiceModule = {
  name: "validator",
  async create(config) {
    const kc = loadKubeConfig(config);
    const deps = { core: kc.makeApiClient(CoreV1Api), discovery: kc.makeApiClient(DiscoveryV1Api), config };
    return { stages: [{ ...validatorStage(deps), kubeEvents: kubeEventRecorder(kc, "validator") }] };
  },
};

export { validatorStage } from "./stage.js";
export type { ValidatorDeps } from "./deps.js";
export { expectedText, gotText, judge } from "./steps/judge.js";
export { percentile, warmupFailure, warmupResult } from "./steps/warmup.js";
