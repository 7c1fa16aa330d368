export { DeviceUpdateApi, type DeviceUpdateApiOptions } from './device-update-api.ts';
export { SlotStore } from './slot-store.ts';
export { runUpdate, type UpdateContext, type UpdateResult } from './update-run.ts';
export { updateFailpointFromEnvironment, updateSteps, type UpdateStep, type UpdateStepHook } from './update-steps.ts';
export { UpdateStore } from './update-store.ts';
export type { SlotName, SlotRelease, UpdateApi, UpdateAssignment, UpdateReport, UpdateTrust } from './update.types.ts';
