export type { AgentDialog, AgentProfile, ArgsOptions, LaunchAddition, McpServerSpec, ScreenText, WorkerContext } from './types';
export { PROFILES, PRESET_NAMES, presetProfile, profileFor } from './registry';
export { identityText } from './identity';
export { DEMO_AGENT_PATH } from './demo';
