//! A `[crews.<id>]` table: its size, the order it takes waiting repairs
//! (`policy = "fifo" | "priority" | "random"`, with `order = [...]` for
//! priority) and its call-out threshold (`call_out = k`: nobody starts
//! before k of its entities are down).

use super::error::{Diagnostics, suggest};
use super::read::Names;
use super::reader::{Located, TableReader};
use super::{Crew, Model, RepairPolicy};
use std::ops::Range;

const CREW_KEYS: &[&str] = &["size", "policy", "order", "call_out", "description"];

/// Reads one crew, with the span of its `call_out` (checked against what
/// it repairs once the components are read, by [`check_call_out`]).
pub(super) fn read_crew(
    id: Located<String>,
    mut tr: TableReader,
    names: &Names,
    diags: &mut Diagnostics,
) -> (Crew, Option<Range<usize>>) {
    let size = tr.u32("size", diags);
    match &size {
        Some(s) if s.value == 0 => diags.error(
            s.span.clone(),
            format!(
                "crew '{}' has size 0: nobody could repair anything",
                id.value
            ),
        ),
        None if !tr.has("size") => tr.missing("size", diags, "1"),
        _ => {}
    }
    let policy = tr.str("policy", diags);
    let order = tr.str_list("order", diags);
    let policy = match policy.as_ref().map(|p| p.value.as_str()) {
        None | Some("fifo") => RepairPolicy::Fifo,
        Some("random") => RepairPolicy::Random,
        Some("priority") => priority(&id.value, &tr, &order, names, diags),
        Some(other) => {
            let hint = suggest(other, RepairPolicy::NAMES.iter().copied())
                .or_else(|| Some(format!("policies: {}", RepairPolicy::NAMES.join(", "))));
            diags.error_hint(
                policy.as_ref().map_or(0..1, |p| p.span.clone()),
                format!("unknown repair policy '{other}' in [crews.{}]", id.value),
                hint,
            );
            RepairPolicy::Fifo
        }
    };
    if !order.is_empty() && !matches!(policy, RepairPolicy::Priority { .. }) {
        diags.error_hint(
            tr.span_of("order"),
            format!(
                "'crews.{}.order' applies to policy = \"priority\"",
                id.value
            ),
            Some("add policy = \"priority\"".into()),
        );
    }
    let call_out = tr.u32("call_out", diags);
    if let Some(c) = &call_out
        && c.value == 0
    {
        diags.error(
            c.span.clone(),
            format!(
                "'crews.{}.call_out' is 0: the crew is called when at least 1 is down",
                id.value
            ),
        );
    }
    let _ = tr.str("description", diags);
    tr.finish(CREW_KEYS, diags);
    let span = call_out.as_ref().map(|c| c.span.clone());
    let crew = Crew {
        id: id.value,
        size: size.map_or(1, |s| s.value.max(1)),
        policy,
        call_out: call_out.map_or(1, |c| c.value.max(1)),
    };
    (crew, span)
}

/// A call-out threshold above what the crew repairs would leave every
/// failure waiting forever.
pub(super) fn check_call_out(
    model: &Model,
    spans: &[Option<Range<usize>>],
    diags: &mut Diagnostics,
) {
    for (k, crew) in model.crews.iter().enumerate() {
        let served: u64 = model
            .components
            .iter()
            .filter(|c| c.crew == Some(k))
            .map(|c| c.instances as u64)
            .sum::<u64>()
            + model.groups.iter().filter(|g| g.crew == Some(k)).count() as u64;
        if crew.call_out as u64 > served
            && let Some(span) = &spans[k]
        {
            diags.error_hint(
                span.clone(),
                format!(
                    "crew '{}' is called out when {} are down but repairs only {served}: \
                     nothing would ever be repaired",
                    crew.id, crew.call_out
                ),
                Some(format!("call_out must be between 1 and {}", served.max(1))),
            );
        }
    }
}

/// Ranks from `order`: components and groups listed, then the rest in file order.
fn priority(
    crew: &str,
    tr: &TableReader,
    order: &[Located<String>],
    names: &Names,
    diags: &mut Diagnostics,
) -> RepairPolicy {
    if order.is_empty() {
        diags.error_hint(
            tr.span_of("policy"),
            format!("crew '{crew}' has policy = \"priority\" but no 'order'"),
            Some("add order = [\"db\", \"cache\"] (first repaired first)".into()),
        );
    }
    let unlisted = order.len() as u32;
    let mut components: Vec<u32> = (0..names.components.len() as u32)
        .map(|c| unlisted + c)
        .collect();
    let mut groups: Vec<u32> = (0..names.groups.len() as u32)
        .map(|g| unlisted + names.components.len() as u32 + g)
        .collect();
    for (rank, name) in order.iter().enumerate() {
        let c = names.components.iter().position(|n| *n == name.value);
        let g = names.groups.iter().position(|n| *n == name.value);
        match (c, g) {
            (Some(c), _) => components[c] = rank as u32,
            (None, Some(g)) => groups[g] = rank as u32,
            (None, None) => {
                let all = names.components.iter().chain(&names.groups);
                let hint = suggest(&name.value, all.map(String::as_str));
                diags.error_hint(
                    name.span.clone(),
                    format!(
                        "'crews.{crew}.order' names '{}', which is neither a component nor a group",
                        name.value
                    ),
                    hint,
                );
            }
        }
    }
    RepairPolicy::Priority { components, groups }
}
