using System.Buffers;
using System.Text;
using System.Text.Json;
using Autopilot.State;

namespace Autopilot.Monitoring;

/// <summary>
/// One event as JSON, the shape of an `events --json` element (time, pool, kind, job_ids, reason):
/// what an alert command reads on stdin and a webhook receives. Written by hand, no serializer metadata.
/// </summary>
public static class EventJson
{
    public static string Write(PoolEvent poolEvent)
    {
        ArgumentNullException.ThrowIfNull(poolEvent);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", poolEvent.Time);
            w.WriteString("pool", poolEvent.Pool);
            w.WriteString("kind", EventKinds.Name(poolEvent.Kind));
            w.WriteStartArray("job_ids");
            foreach (var id in poolEvent.JobIds)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
            w.WriteString("reason", poolEvent.Reason);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
