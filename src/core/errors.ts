/** Every error we throw carries a stable code; the chat boundary turns codes into words. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/** Every code an error (or a refused plan) may carry: a closed set. */
export const ErrorCodes = {
  NodeUnreachable: 'NODE_UNREACHABLE',
  NodeTimeout: 'NODE_TIMEOUT',
  NodeError: 'NODE_ERROR',
  ClusterUnreachable: 'CLUSTER_UNREACHABLE',
  ClusterSettling: 'CLUSTER_SETTLING',
  ParseError: 'PARSE_ERROR',
  PlanRefused: 'PLAN_REFUSED',
  NothingToDo: 'NOTHING_TO_DO',
  EmptyMasterAtNewAddress: 'EMPTY_MASTER_AT_NEW_ADDRESS',
  PreconditionFailed: 'PRECONDITION_FAILED',
  StepTimeout: 'STEP_TIMEOUT',
  StepFailed: 'STEP_FAILED',
  SlotCheckFailed: 'SLOT_CHECK_FAILED',
  Cancelled: 'CANCELLED',
  PlanNotFound: 'PLAN_NOT_FOUND',
  BadTransition: 'BAD_TRANSITION',
  UnknownNode: 'UNKNOWN_NODE',
  UnknownCluster: 'UNKNOWN_CLUSTER',
  K8sError: 'K8S_ERROR',
  ChatMessageNotFound: 'CHAT_MESSAGE_NOT_FOUND',
  ConfigInvalid: 'CONFIG_INVALID',
  ApproversUnresolved: 'APPROVERS_UNRESOLVED',
  ControlRedisRefused: 'CONTROL_REDIS_REFUSED',
  ControlRedisNotRedis: 'CONTROL_REDIS_NOT_REDIS',
  ControlRedisUnreachable: 'CONTROL_REDIS_UNREACHABLE',
  SlackAuthFailed: 'SLACK_AUTH_FAILED',
  SlackApiError: 'SLACK_API_ERROR',
  ChaosFailed: 'CHAOS_FAILED',
  Unexpected: 'UNEXPECTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export function asCodedError(err: unknown): CodedError {
  if (err instanceof CodedError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(ErrorCodes.Unexpected, message);
}

/** A parser's answer: the value, or an error quoting what it could not read. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };
