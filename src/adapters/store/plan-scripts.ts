/** The Lua of the plan records' transitions: each status change is one script, so two can never both win. */

/** Lua prelude of a vote: the plan exists, is still proposed, and has not expired (expiring it if due). */
const PROPOSED_AND_FRESH = `
local k, open = KEYS[1], KEYS[2]
local id, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' then return {'BAD_STATE', status} end
if now >= tonumber(redis.call('HGET', k, 'expiresAt')) then
  redis.call('HSET', k, 'status', 'expired', 'updatedAt', now)
  redis.call('ZREM', open, id)
  return {'EXPIRED'}
end
`;

export const APPROVE = `${PROPOSED_AND_FRESH}local raw = redis.call('HGET', k, 'approvals')
local approvals = {}
if raw and raw ~= '' and raw ~= '{}' then approvals = cjson.decode(raw) end
for _, a in ipairs(approvals) do
  if a.user == user then return {'DUPLICATE_APPROVER'} end
end
local sig = ARGV[4]
if sig == nil or sig == '' then sig = nil end
table.insert(approvals, { user = user, at = now, sig = sig })
local needed = tonumber(redis.call('HGET', k, 'approvalsNeeded'))
local newStatus = 'proposed'
if #approvals >= needed then
  newStatus = 'approved'
  redis.call('ZREM', open, id)
end
redis.call('HSET', k, 'approvals', cjson.encode(approvals), 'status', newStatus, 'updatedAt', now)
return {'OK', newStatus}
`;

export const REJECT = `${PROPOSED_AND_FRESH}redis.call('HSET', k, 'status', 'rejected', 'rejectedBy', user, 'updatedAt', now)
redis.call('ZREM', open, id)
return {'OK', 'rejected'}
`;

export const CANCEL = `
local k, open, lock, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' and status ~= 'approved' and status ~= 'queued' then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', 'cancelled', 'cancelledBy', user, 'updatedAt', now,
  'result', cjson.encode({ status = 'cancelled', detail = 'cancelled by ' .. user, finishedAt = now }))
redis.call('HDEL', k, 'waitingBehind')
redis.call('ZREM', open, id)
redis.call('ZREM', waiters, id)
if redis.call('GET', lock) == id then redis.call('DEL', lock) end
return {'OK', 'cancelled'}
`;

export const EXPIRE = `
local k, open = KEYS[1], KEYS[2]
local id, now = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'proposed' then return {'BAD_STATE', status} end
if now < tonumber(redis.call('HGET', k, 'expiresAt')) then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', 'expired', 'updatedAt', now)
redis.call('ZREM', open, id)
return {'OK', 'expired'}
`;

export const REQUEST_CANCEL = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'running' then return {'BAD_STATE', status} end
redis.call('HSETNX', k, 'cancelRequestedBy', ARGV[1])
redis.call('HSET', k, 'updatedAt', ARGV[2])
return {'OK', status}
`;

// ARGV: fromCsv, to, now
export const TRANSITION = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == status then allowed = true end end
if not allowed then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', ARGV[2], 'updatedAt', ARGV[3])
if ARGV[2] == 'running' then redis.call('HDEL', k, 'waitingBehind') end
return {'OK', ARGV[2]}
`;

// ARGV: id, status, resultJson, now
export const FINISH = `
local k, open, lock = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'approved' and status ~= 'queued' and status ~= 'running' then return {'BAD_STATE', status} end
redis.call('HSET', k, 'status', ARGV[2], 'result', ARGV[3], 'updatedAt', ARGV[4])
redis.call('HDEL', k, 'waitingBehind')
if ARGV[2] == 'cancelled' then
  local by = redis.call('HGET', k, 'cancelRequestedBy')
  if by then redis.call('HSET', k, 'cancelledBy', by) end
end
redis.call('ZREM', open, id)
if redis.call('GET', lock) == id then redis.call('DEL', lock) end
return {'OK', ARGV[2]}
`;

// ARGV: outcomeJson, index, now. Only while the plan runs; a step recorded twice keeps the last outcome.
export const RECORD_STEP = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'NOT_FOUND'} end
local status = redis.call('HGET', k, 'status')
if status ~= 'running' then return {'BAD_STATE', status} end
local progress = cjson.decode(redis.call('HGET', k, 'progress'))
local outcomes = {}
if type(progress.outcomes) == 'table' then
  for _, o in ipairs(progress.outcomes) do
    if o.index ~= tonumber(ARGV[2]) then table.insert(outcomes, o) end
  end
end
table.insert(outcomes, cjson.decode(ARGV[1]))
local nextStep = tonumber(progress.nextStep) or 0
if tonumber(ARGV[2]) + 1 > nextStep then nextStep = tonumber(ARGV[2]) + 1 end
redis.call('HSET', k, 'progress', cjson.encode({ nextStep = nextStep, outcomes = outcomes }), 'updatedAt', ARGV[3])
return {'OK', status}
`;
