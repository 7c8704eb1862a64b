/** Every error we throw carries a stable code; the chat boundary turns codes into words. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

export const ErrorCodes = {
  NodeUnreachable: 'NODE_UNREACHABLE',
  NodeTimeout: 'NODE_TIMEOUT',
  NodeError: 'NODE_ERROR',
  ClusterUnreachable: 'CLUSTER_UNREACHABLE',
  ParseError: 'PARSE_ERROR',
  PlanRefused: 'PLAN_REFUSED',
  NothingToDo: 'NOTHING_TO_DO',
  PreconditionFailed: 'PRECONDITION_FAILED',
  StepTimeout: 'STEP_TIMEOUT',
  StepFailed: 'STEP_FAILED',
  PlanNotFound: 'PLAN_NOT_FOUND',
  PlanExpired: 'PLAN_EXPIRED',
  ApprovalRefused: 'APPROVAL_REFUSED',
  BadTransition: 'BAD_TRANSITION',
  UnknownNode: 'UNKNOWN_NODE',
  UnknownCluster: 'UNKNOWN_CLUSTER',
  K8sError: 'K8S_ERROR',
  ChatMessageNotFound: 'CHAT_MESSAGE_NOT_FOUND',
  ConfigInvalid: 'CONFIG_INVALID',
} as const;

export function asCodedError(err: unknown): CodedError {
  if (err instanceof CodedError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError('UNEXPECTED', message);
}

/** A parser's answer: the value, or an error quoting what it could not read. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };
