//! Kubernetes Events as the API server keeps them and kubectl shows them:
//! the client-go recorder's dedup, its spam filter, and the API server's
//! event TTL.
//!
//! Upstream (k8s: staging/src/k8s.io/client-go/tools/record/events_cache.go,
//! `EventCorrelator`):
//!
//! - **Dedup** (`eventObserve`): an event with the same source, object,
//!   type, reason and message as an earlier one is not a new object: the
//!   earlier one's `count` goes up and its `lastTimestamp` moves; kubectl
//!   prints it as `2m (x4 over 9m)`.
//! - **Spam filter** (`EventSourceObjectSpamFilter`): a token bucket per
//!   source (component and host) and object, 25 tokens, refilled at one per
//!   5 minutes. An event finding the bucket empty is not sent, but the
//!   recorder has already counted it, so the next one sent carries the
//!   higher count (`count` keeps up; `lastTimestamp` lags).
//! - **TTL**: the API server drops an event an hour after its last write
//!   (`--event-ttl`, default 1 h).
//!
//! Times are [`Stamp`]s, signed nanoseconds from the trial's start: the
//! pods that exist when a trial starts have a history before it.

/// Nanoseconds from the trial's start (negative: before it).
pub type Stamp = i64;

const SECOND: Stamp = 1_000_000_000;
/// The API server's `--event-ttl` (default 1 h).
pub const EVENT_TTL: Stamp = 3600 * SECOND;
/// The spam filter's bucket size (client-go `defaultSpamBurst`).
pub const SPAM_BURST: f64 = 25.0;
/// The spam filter's refill: one event per 5 minutes (`defaultSpamQPS`).
pub const SPAM_PER_SECOND: f64 = 1.0 / 300.0;
/// At most this many distinct events are kept per object (the oldest go).
pub const MAX_PER_OBJECT: usize = 16;
/// At most this many distinct events are kept in all (the oldest go).
pub const MAX_EVENTS: usize = 256;

/// An event's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Things going as planned.
    Normal,
    /// Something to look at.
    Warning,
}

impl EventType {
    /// As kubectl prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What happened, to what, according to whom.
#[derive(Clone, Copy, Debug)]
pub struct Occurrence<'a> {
    /// When.
    pub at: Stamp,
    /// Normal or Warning.
    pub kind: EventType,
    /// The `reason` (`BackOff`, `Started`, ...).
    pub reason: &'static str,
    /// The reporting component (`kubelet`, `default-scheduler`, ...).
    pub source: &'static str,
    /// The source's host (the node, for the kubelet), part of the spam key.
    pub host: &'a str,
    /// `kind/name` in lower case, as `kubectl get events` prints it.
    pub object: &'a str,
    /// The human-readable message.
    pub message: &'a str,
}

/// One event object in the API server.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Normal or Warning.
    pub kind: EventType,
    /// The `reason`.
    pub reason: &'static str,
    /// The reporting component.
    pub source: &'static str,
    host: String,
    /// `kind/name` in lower case.
    pub object: String,
    /// The message.
    pub message: String,
    /// First observed.
    pub first: Stamp,
    /// The last occurrence that was sent.
    pub last: Stamp,
    /// The count the API server holds (as of the last occurrence sent).
    pub count: u32,
    /// Occurrences the recorder has seen, sent or not.
    observed: u32,
}

impl Event {
    /// Sent at least once: the API server has it.
    fn stored(&self) -> bool {
        self.count > 0
    }
}

/// A spam-filter bucket.
#[derive(Clone, Debug, PartialEq)]
struct Bucket {
    source: &'static str,
    host: String,
    object: String,
    tokens: f64,
    at: Stamp,
}

impl Bucket {
    fn refill(&mut self, at: Stamp) {
        let dt = (at - self.at).max(0) as f64 / SECOND as f64;
        self.tokens = (self.tokens + dt * SPAM_PER_SECOND).min(SPAM_BURST);
        self.at = self.at.max(at);
    }
}

/// The events of a namespace, bounded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventLog {
    events: Vec<Event>,
    buckets: Vec<Bucket>,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        EventLog::default()
    }

    /// Records `o` (occurrences must come in time order per source and
    /// object).
    ///
    /// ```
    /// use resim::k8s::events::{EventLog, EventType, Occurrence};
    /// let mut log = EventLog::new();
    /// let s = 1_000_000_000;
    /// for k in 0..4 {
    ///     log.record(Occurrence {
    ///         at: k * 60 * s,
    ///         kind: EventType::Warning,
    ///         reason: "BackOff",
    ///         source: "kubelet",
    ///         host: "node-1",
    ///         object: "pod/web-1",
    ///         message: "Back-off restarting failed container web in pod web-1",
    ///     });
    /// }
    /// let e = log.events(4 * 60 * s).next().unwrap();
    /// assert_eq!((e.count, e.first, e.last), (4, 0, 180 * s));
    /// ```
    pub fn record(&mut self, o: Occurrence<'_>) {
        self.expire(o.at);
        let i = match self.events.iter().position(|e| {
            e.reason == o.reason
                && e.kind == o.kind
                && e.source == o.source
                && e.object == o.object
                && e.host == o.host
                && e.message == o.message
        }) {
            Some(i) => i,
            None => {
                self.make_room(o.object);
                self.events.push(Event {
                    kind: o.kind,
                    reason: o.reason,
                    source: o.source,
                    host: o.host.to_string(),
                    object: o.object.to_string(),
                    message: o.message.to_string(),
                    first: o.at,
                    last: o.at,
                    count: 0,
                    observed: 0,
                });
                self.events.len() - 1
            }
        };
        self.events[i].observed += 1;
        if self.take_token(&o) {
            let e = &mut self.events[i];
            e.count = e.observed;
            e.last = o.at;
        }
    }

    /// The events the API server holds at `now`, in no particular order.
    pub fn events(&self, now: Stamp) -> impl Iterator<Item = &Event> {
        self.events
            .iter()
            .filter(move |e| e.stored() && now - e.last <= EVENT_TTL)
    }

    /// The spam filter: true when the source may send about the object now.
    fn take_token(&mut self, o: &Occurrence<'_>) -> bool {
        let i = match self
            .buckets
            .iter()
            .position(|b| b.source == o.source && b.host == o.host && b.object == o.object)
        {
            Some(i) => i,
            None => {
                if self.buckets.len() >= MAX_EVENTS {
                    // A bucket refilled to the top is as good as none.
                    let at = o.at;
                    self.buckets.retain_mut(|b| {
                        b.refill(at);
                        b.tokens < SPAM_BURST
                    });
                    if self.buckets.len() >= MAX_EVENTS {
                        self.buckets.remove(0);
                    }
                }
                self.buckets.push(Bucket {
                    source: o.source,
                    host: o.host.to_string(),
                    object: o.object.to_string(),
                    tokens: SPAM_BURST,
                    at: o.at,
                });
                self.buckets.len() - 1
            }
        };
        let b = &mut self.buckets[i];
        b.refill(o.at);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Drops the events past their TTL at `now`.
    fn expire(&mut self, now: Stamp) {
        self.events.retain(|e| now - e.last <= EVENT_TTL);
    }

    /// Makes room for a new event about `object`: the oldest of that object
    /// beyond [`MAX_PER_OBJECT`], the oldest of all beyond [`MAX_EVENTS`].
    fn make_room(&mut self, object: &str) {
        let oldest = |events: &[Event], of: Option<&str>| {
            events
                .iter()
                .enumerate()
                .filter(|(_, e)| of.is_none_or(|o| e.object == o))
                .min_by_key(|(_, e)| e.last)
                .map(|(i, _)| i)
        };
        if self.events.iter().filter(|e| e.object == object).count() >= MAX_PER_OBJECT
            && let Some(i) = oldest(&self.events, Some(object))
        {
            self.events.remove(i);
        }
        if self.events.len() >= MAX_EVENTS
            && let Some(i) = oldest(&self.events, None)
        {
            self.events.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(log: &mut EventLog, t: Stamp, reason: &'static str, object: &str) {
        log.record(Occurrence {
            at: t * SECOND,
            kind: EventType::Normal,
            reason,
            source: "kubelet",
            host: "node-1",
            object,
            message: reason,
        });
    }

    #[test]
    fn the_spam_filter_holds_back_after_25_and_the_count_catches_up() {
        let mut log = EventLog::new();
        // 30 events a second apart: 25 go through, then the bucket is dry.
        for t in 0..30 {
            at(&mut log, t, "BackOff", "pod/a");
        }
        let e = log.events(30 * SECOND).next().unwrap().clone();
        assert_eq!((e.count, e.last), (25, 24 * SECOND));
        // Five minutes later a token is back: the next one is sent with the
        // count the recorder kept (31).
        at(&mut log, 24 + 300, "BackOff", "pod/a");
        let e = log.events(400 * SECOND).next().unwrap();
        assert_eq!((e.count, e.last, e.first), (31, 324 * SECOND, 0));
        // Another object has its own bucket.
        at(&mut log, 31, "Started", "pod/b");
        assert_eq!(log.events(400 * SECOND).count(), 2);
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write() {
        let mut log = EventLog::new();
        at(&mut log, 0, "Scheduled", "pod/a");
        assert_eq!(log.events(3600 * SECOND).count(), 1);
        assert_eq!(log.events(3601 * SECOND).count(), 0);
    }

    #[test]
    fn distinct_events_are_bounded_per_object_and_in_all() {
        const REASONS: [&str; 20] = [
            "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13",
            "r14", "r15", "r16", "r17", "r18", "r19",
        ];
        let mut log = EventLog::new();
        for (t, r) in REASONS.iter().enumerate() {
            at(&mut log, t as Stamp, r, "pod/a");
        }
        let kept: Vec<&str> = log.events(30 * SECOND).map(|e| e.reason).collect();
        assert_eq!(kept.len(), MAX_PER_OBJECT);
        assert!(!kept.contains(&"r0") && kept.contains(&"r19"));
        for k in 0..400 {
            at(&mut log, 100 + k, "Started", &format!("pod/x{k}"));
        }
        assert_eq!(log.events(600 * SECOND).count(), MAX_EVENTS);
        assert!(log.buckets.len() <= MAX_EVENTS);
    }
}
