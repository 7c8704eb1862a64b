/** What the bot remembers of one Alertmanager alert group. */
export interface AlertGroupRecord {
  status: 'firing' | 'resolved';
  count: number;
  channel: string;
  ts: string;
  cluster: string;
}

/** Alert groups by Alertmanager's groupKey, kept a week (src/adapters/store/alert-groups.ts). */
export interface AlertGroupStore {
  load(groupKey: string): Promise<AlertGroupRecord | undefined>;
  save(groupKey: string, record: AlertGroupRecord): Promise<void>;
}
