use super::*;
use BreakerState::{Closed, HalfOpen, Open};
use Outcome::{Failure as F, Slow as W, Success as S};

const SEC: u64 = SimTime::SECOND.0;

fn at(secs: u64) -> SimTime {
    SimTime(secs * SEC)
}

/// Count window 10, at least 5 calls, 50% failures, open 60 s, 3 trial calls.
fn small() -> BreakerConfig {
    BreakerConfig {
        window: Window::Count(10),
        min_calls: 5,
        open: at(60),
        half_open_calls: 3,
        ..BreakerConfig::default()
    }
}

/// Feeds `outcomes` at `now` (asking `allow` first, as a caller would) and
/// returns the state after each.
fn feed(b: &mut CircuitBreaker, now: SimTime, outcomes: &[Outcome]) -> Vec<BreakerState> {
    outcomes
        .iter()
        .map(|&o| {
            assert!(b.allow(now), "a call was rejected in state {:?}", b.state());
            b.record(now, o);
            b.state()
        })
        .collect()
}

/// Opens `b` at `now` with failures.
fn trip(b: &mut CircuitBreaker, now: SimTime) {
    feed(b, now, &[F; 5]);
    assert_eq!(b.state(), Open);
}

#[test]
fn opens_exactly_when_the_failure_rate_reaches_the_threshold() {
    let mut b = CircuitBreaker::new(&small());
    // 40% with 5 calls stays closed; the 6th call makes 3 of 6 = 50%.
    let states = feed(&mut b, at(0), &[S, S, S, F, F, F]);
    assert_eq!(states, [Closed, Closed, Closed, Closed, Closed, Open]);
    assert_eq!(b.open_until(), Some(at(60)));
}

#[test]
fn never_opens_below_the_minimum_number_of_calls() {
    let mut b = CircuitBreaker::new(&small());
    // Four failures: 100%, but fewer than 5 calls.
    assert_eq!(feed(&mut b, at(0), &[F; 4]), [Closed; 4]);
    assert_eq!(feed(&mut b, at(0), &[S]), [Open]);
}

#[test]
fn resilience4j_defaults_need_a_hundred_calls() {
    let mut b = CircuitBreaker::new(&BreakerConfig::default());
    let states = feed(&mut b, at(0), &[F; 100]);
    assert!(states[..99].iter().all(|&s| s == Closed));
    assert_eq!(states[99], Open);
    assert_eq!(b.open_until(), Some(at(60)));
}

#[test]
fn rejects_while_open_and_half_opens_after_the_wait() {
    let mut b = CircuitBreaker::new(&small());
    trip(&mut b, at(10));
    for t in [10, 30, 69] {
        assert!(!b.allow(at(t)), "allowed at {t}s");
    }
    assert!(!b.allow(SimTime(70 * SEC - 1)));
    assert_eq!(b.state(), Open);
    // Late outcomes of calls sent before it opened change nothing.
    b.record(at(20), S);
    assert_eq!(b.state(), Open);
    // The first call after the wait half-opens it and takes a permit;
    // two more pass, the fourth is rejected.
    assert!(b.allow(at(70)));
    assert_eq!(b.state(), HalfOpen);
    assert!(b.allow(at(70)) && b.allow(at(71)));
    assert!(!b.allow(at(71)));
}

#[test]
fn half_open_closes_when_the_trial_calls_mostly_succeed() {
    let mut b = CircuitBreaker::new(&small());
    trip(&mut b, at(0));
    for _ in 0..3 {
        assert!(b.allow(at(60)));
    }
    b.record(at(60), S);
    b.record(at(60), F);
    assert_eq!(b.state(), HalfOpen, "judged before all 3 trial calls");
    b.record(at(61), S);
    assert_eq!(b.state(), Closed); // 1 of 3 failed: 33% < 50%
    // The closed window starts empty: four failures are below the minimum.
    assert_eq!(feed(&mut b, at(62), &[F; 4]), [Closed; 4]);
}

#[test]
fn half_open_reopens_when_the_trial_calls_fail() {
    let mut b = CircuitBreaker::new(&small());
    trip(&mut b, at(0));
    let states = feed(&mut b, at(60), &[F, S, F]);
    assert_eq!(states, [HalfOpen, HalfOpen, Open]); // 2 of 3 failed: 67%
    assert_eq!(b.open_until(), Some(at(120)));
    assert!(!b.allow(at(119)));
    assert!(b.allow(at(120)));
}

#[test]
fn count_window_judges_only_the_last_calls() {
    let mut b = CircuitBreaker::new(&BreakerConfig {
        min_calls: 10,
        ..small()
    });
    // Ten successes then four failures: the window holds 6 S + 4 F.
    feed(&mut b, at(0), &[S; 10]);
    assert_eq!(feed(&mut b, at(0), &[F; 4]), [Closed; 4]);
    // A fifth failure makes 5 of the last 10 (5 of all 15 would be 33%).
    assert_eq!(feed(&mut b, at(0), &[F]), [Open]);
}

#[test]
fn time_window_forgets_calls_older_than_its_span() {
    let mut b = CircuitBreaker::new(&BreakerConfig {
        window: Window::Time(10),
        min_calls: 4,
        ..small()
    });
    feed(&mut b, at(0), &[F]);
    feed(&mut b, at(1), &[F]);
    feed(&mut b, at(2), &[S]);
    // At 12 s the window covers seconds 3..=12: the calls above are gone.
    // Kept, they would make 3 failures of 6 (50%) and open it here.
    assert_eq!(feed(&mut b, at(12), &[S, S, F]), [Closed; 3]);
    assert_eq!(feed(&mut b, SimTime(12 * SEC + 5), &[F]), [Open]);
}

#[test]
fn time_window_keeps_calls_within_its_span() {
    let mut b = CircuitBreaker::new(&BreakerConfig {
        window: Window::Time(10),
        min_calls: 4,
        ..small()
    });
    feed(&mut b, at(3), &[F, F]);
    // At 12 s second 3 is still inside (3..=12): 2 F + S + F = 75%.
    assert_eq!(feed(&mut b, at(12), &[S, F]), [Closed, Open]);
}

#[test]
fn slow_calls_open_it_on_their_own_threshold() {
    let cfg = BreakerConfig {
        window: Window::Count(4),
        min_calls: 4,
        slow_call: SimTime(SEC),
        slow_rate: 0.5,
        ..small()
    };
    assert_eq!(cfg.classify(true, SimTime(SEC)), S);
    assert_eq!(cfg.classify(true, SimTime(SEC + 1)), W);
    assert_eq!(cfg.classify(false, SimTime(1)), F);
    let mut b = CircuitBreaker::new(&cfg);
    // No failures at all, but 2 of 4 calls slow.
    assert_eq!(
        feed(&mut b, at(0), &[W, S, S, W]),
        [Closed, Closed, Closed, Open]
    );
}

#[test]
fn automatic_transition_half_opens_without_a_call() {
    let mut manual = CircuitBreaker::new(&small());
    let mut auto = CircuitBreaker::new(&BreakerConfig {
        automatic_half_open: true,
        ..small()
    });
    for b in [&mut manual, &mut auto] {
        trip(b, at(0));
        b.poll(at(59));
        assert_eq!(b.state(), Open);
        b.poll(at(60));
    }
    assert_eq!(manual.state(), Open);
    assert_eq!(auto.state(), HalfOpen);
    assert_eq!(BreakerState::Open as u8, 2);
}

#[test]
fn min_calls_above_a_count_window_is_capped_at_its_size() {
    let cfg = BreakerConfig {
        window: Window::Count(10),
        ..BreakerConfig::default()
    };
    assert_eq!(cfg.effective_min_calls(), 10);
    let mut b = CircuitBreaker::new(&cfg);
    assert_eq!(feed(&mut b, at(0), &[F; 10])[9], Open);
}
