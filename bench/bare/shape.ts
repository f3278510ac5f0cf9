import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

export type ActivityKind = 'local' | 'remote';
/** Calls the workflow made together (in one workflow task), which run at the same time. */
export type ActivityGroup = ActivityKind[];

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = proto.temporal.api.enums.v1;

/**
 * The activity calls a workflow history recorded, in order, with the regular activities one
 * workflow task scheduled together as one group (so parallel calls stay parallel): a regular
 * activity is an ActivityTaskScheduled event, a local one a `core_local_activity` marker.
 */
export function activityShape(events: readonly HistoryEvent[]): ActivityGroup[] {
  const groups: ActivityGroup[] = [];
  let lastTask: string | undefined;
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      // Regular activities scheduled by one workflow task run at the same time.
      const task = String(e.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId);
      if (task === lastTask) groups.at(-1)!.push('remote');
      else groups.push(['remote']);
      lastTask = task;
    } else if (
      e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
    ) {
      // Local activities run one after another inside the task that records their markers.
      groups.push(['local']);
      lastTask = undefined;
    }
  }
  return groups;
}
