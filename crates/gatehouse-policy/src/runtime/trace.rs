//! The request trace: what each step of a pipeline did, in APIM's trace format.
//!
//! Recording is off unless the caller asked for a trace and the subscription allows it; an
//! off recorder costs one branch per step. The document is APIM's
//! `traceEntries.{inbound,backend,outbound,on-error}[] = {source, timestamp, elapsed, data}`.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub use crate::schema::Section;

/// One recorded step.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    /// The policy or gateway component that wrote it (`set-status`, `api-inspector`, ...).
    pub source: Cow<'static, str>,
    /// Wall-clock time of the step.
    pub timestamp: OffsetDateTime,
    /// Time since the request started.
    pub elapsed: Duration,
    /// What happened: a message or a structured object.
    pub data: Value,
}

/// Collects trace entries for one request.
#[derive(Debug)]
pub struct Trace {
    started: Instant,
    started_at: OffsetDateTime,
    sections: [Vec<TraceEntry>; 4],
}

impl Trace {
    /// Starts a trace at the moment the request arrived.
    pub fn start(started: Instant) -> Self {
        let started_at = OffsetDateTime::now_utc() - started.elapsed();
        Self {
            started,
            started_at,
            sections: Default::default(),
        }
    }

    /// Records one entry in `section`.
    pub fn record(&mut self, section: Section, source: impl Into<Cow<'static, str>>, data: Value) {
        let elapsed = self.started.elapsed();
        let entry = TraceEntry {
            source: source.into(),
            timestamp: self.started_at + elapsed,
            elapsed,
            data,
        };
        self.sections[section as usize].push(entry);
    }

    /// Replaces every occurrence of each secret in the recorded data with a mask.
    pub fn mask(&mut self, secrets: &[std::sync::Arc<str>]) {
        let secrets: Vec<&str> = secrets
            .iter()
            .map(|s| &**s)
            .filter(|s| !s.is_empty())
            .collect();
        if secrets.is_empty() {
            return;
        }
        for entry in self.sections.iter_mut().flatten() {
            mask_value(&mut entry.data, &secrets);
        }
    }

    /// The entries of one section, in order.
    pub fn entries(&self, section: Section) -> &[TraceEntry] {
        &self.sections[section as usize]
    }

    /// The trace document in APIM's shape. Only sections with entries appear.
    pub fn to_json(&self, service_name: &str, trace_id: &str) -> Value {
        let mut sections = Map::new();
        for section in Section::ALL {
            let entries = self.entries(section);
            if !entries.is_empty() {
                let entries = entries.iter().map(entry_json).collect();
                sections.insert(section.name().to_owned(), Value::Array(entries));
            }
        }
        json!({ "serviceName": service_name, "traceId": trace_id, "traceEntries": sections })
    }
}

/// Masks secrets in every string of `value`, iteratively (trace data can nest deeply).
fn mask_value(value: &mut Value, secrets: &[&str]) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(text) => {
                for secret in secrets {
                    if text.contains(secret) {
                        *text = text.replace(secret, super::host::MASK);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

fn entry_json(entry: &TraceEntry) -> Value {
    json!({
        "source": entry.source,
        "timestamp": format_timestamp(entry.timestamp),
        "elapsed": format_elapsed(entry.elapsed),
        "data": entry.data,
    })
}

/// `2023-05-03T12:03:04.6899436Z`: ISO-8601 in UTC with seven fractional digits, as APIM.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 100
    )
}

/// `00:00:00.2983315`: a .NET `TimeSpan` with seven fractional digits, as APIM.
pub fn format_elapsed(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    format!(
        "{hours:02}:{minutes:02}:{seconds:02}.{:07}",
        elapsed.subsec_nanos() / 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_elapsed_use_seven_digits() {
        let at = time::macros::datetime!(2023-05-03 12:03:04.689_943_6 UTC);
        assert_eq!(format_timestamp(at), "2023-05-03T12:03:04.6899436Z");
        assert_eq!(
            format_elapsed(Duration::from_nanos(3_723_298_331_500)),
            "01:02:03.2983315"
        );
    }

    #[test]
    fn document_has_only_sections_with_entries_in_apim_shape() {
        let mut trace = Trace::start(Instant::now());
        trace.record(
            Section::Inbound,
            "set-status",
            json!({"message": ["Response status code was set to 403"]}),
        );
        trace.record(Section::Outbound, "transfer-response", json!("done"));

        let document = trace.to_json("gatehouse", "abc");

        assert_eq!(document["traceId"], "abc");
        let sections = document["traceEntries"].as_object().unwrap();
        assert_eq!(sections.keys().collect::<Vec<_>>(), ["inbound", "outbound"]);
        let entry = &sections["inbound"][0];
        assert_eq!(entry["source"], "set-status");
        assert!(entry["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            entry["elapsed"].as_str().unwrap().len(),
            "00:00:00.0000000".len()
        );
    }
}
