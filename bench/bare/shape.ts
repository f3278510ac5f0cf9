import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

export type ActivityKind = 'local' | 'remote';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = proto.temporal.api.enums.v1;

/**
 * The activity calls a workflow history recorded, in order: a regular activity is an
 * ActivityTaskScheduled event, a local one a `core_local_activity` marker.
 */
export function activityShape(events: readonly HistoryEvent[]): ActivityKind[] {
  const shape: ActivityKind[] = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) shape.push('remote');
    else if (
      e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
    )
      shape.push('local');
  }
  return shape;
}
