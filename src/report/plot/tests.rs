//! Each chart writes a decodable PNG of the expected size and an SVG with
//! its title, for normal, empty and malformed data.

use std::fs;
use std::path::Path;

use super::*;
use crate::report::output::tests::scratch;

/// The PNG signature and the width and height from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap();
    assert!(bytes.len() > 1000, "{} is tiny", path.display());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn check(files: &ChartFiles, title: &str, size: (u32, u32)) {
    assert_eq!(png_size(&files.png), size);
    let svg = fs::read_to_string(&files.svg).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains(title), "svg lacks the title '{title}'");
}

fn sample_line() -> LineChart {
    let t: Vec<f64> = (0..=60).map(f64::from).collect();
    let p50: Vec<(f64, f64)> = t.iter().map(|&x| (x, 20.0 + (x / 6.0).sin())).collect();
    let band = p50.iter().map(|&(_, y)| (y - 2.0, y + 2.0)).collect();
    LineChart {
        title: "Latency over time".into(),
        x_label: "time [min]".into(),
        y_label: "latency [ms]".into(),
        series: vec![
            Series::new("p50", p50.clone()).with_band(band),
            Series::new("p99", p50.iter().map(|&(x, y)| (x, 4.0 * y)).collect()),
        ],
        markers: vec![
            Marker::new(10.0, "db primary down", MarkerKind::Fault),
            Marker::new(12.0, "failover", MarkerKind::Action),
        ],
        log_y: true,
        log_x: false,
        y_range: None,
    }
}

#[test]
fn line_chart_writes_png_and_svg() {
    let dir = scratch("line");
    let out = OutputDir::open(&dir).unwrap();
    let chart = sample_line();
    let files = line_chart(&out, "latency", &chart).unwrap();
    assert_eq!(files.png, dir.join("latency.png"));
    assert_eq!(files.svg, dir.join("latency.svg"));
    check(&files, &chart.title, (1000, 600));
    let svg = fs::read_to_string(&files.svg).unwrap();
    for text in ["p99", "db primary down", "time [min]", "latency [ms]"] {
        assert!(svg.contains(text), "svg lacks '{text}'");
    }
    // Only the two charts remain: no temporary files.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn line_chart_with_gaps_and_empty_series_draws() {
    let dir = scratch("line-empty");
    let out = OutputDir::open(&dir).unwrap();
    let mut chart = LineChart {
        title: "Nothing yet".into(),
        series: vec![Series::new("a", vec![])],
        ..LineChart::default()
    };
    let files = line_chart(&out, "empty", &chart).unwrap();
    check(&files, "Nothing yet", (1000, 600));
    assert!(fs::read_to_string(&files.svg).unwrap().contains("no data"));

    chart.series = vec![Series::new(
        "gappy",
        vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)],
    )];
    chart
        .series
        .push(Series::new("one point", vec![(1.5, 1.5)]));
    let files = line_chart(&out, "gaps", &chart).unwrap();
    check(&files, "Nothing yet", (1000, 600));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn line_chart_rejects_bad_band_and_range() {
    let dir = scratch("line-bad");
    let out = OutputDir::open(&dir).unwrap();
    let mut chart = sample_line();
    chart.series[0].band = Some(vec![(0.0, 1.0)]);
    let err = line_chart(&out, "bad", &chart).unwrap_err();
    assert!(matches!(err, PlotError::InvalidData { .. }), "{err}");
    assert!(err.to_string().contains("band"), "{err}");

    let mut chart = sample_line();
    chart.y_range = Some((0.0, 10.0)); // zero on a log axis
    assert!(line_chart(&out, "bad", &chart).is_err());
    // Nothing was written.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stacked_area_chart_writes_png_and_svg() {
    let dir = scratch("stacked");
    let out = OutputDir::open(&dir).unwrap();
    let x: Vec<f64> = (0..30).map(f64::from).collect();
    let chart = StackedAreaChart {
        title: "Errors by cause".into(),
        x_label: "time [min]".into(),
        y_label: "errors [req/s]".into(),
        layers: vec![
            Layer::new("timeout", x.iter().map(|v| v * 2.0).collect()),
            Layer::new("5xx", x.iter().map(|v| 30.0 - v).collect()),
        ],
        x,
        markers: vec![Marker::new(5.0, "cache flush", MarkerKind::Fault)],
    };
    let files = stacked_area_chart(&out, "errors", &chart).unwrap();
    check(&files, &chart.title, (1000, 600));
    assert!(fs::read_to_string(&files.svg).unwrap().contains("timeout"));

    let bad = StackedAreaChart {
        x: vec![0.0, 1.0],
        layers: vec![Layer::new("short", vec![1.0])],
        ..chart.clone()
    };
    assert!(matches!(
        stacked_area_chart(&out, "bad", &bad),
        Err(PlotError::InvalidData { .. })
    ));
    let empty = StackedAreaChart {
        x: vec![],
        layers: vec![],
        ..chart
    };
    check(
        &stacked_area_chart(&out, "empty", &empty).unwrap(),
        "Errors by cause",
        (1000, 600),
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bar_chart_writes_png_and_svg() {
    let dir = scratch("bar");
    let out = OutputDir::open(&dir).unwrap();
    let chart = BarChart {
        title: "Downtime by component".into(),
        x_label: "downtime [min/year]".into(),
        y_label: String::new(),
        bars: vec![
            Bar::new("db-primary", 52.6).with_interval(40.1, 61.0),
            Bar::new("lb", 4.2),
            Bar::new("dns", 0.0),
        ],
        note: Some("whiskers: 95% interval".into()),
    };
    let files = bar_chart(&out, "downtime", &chart).unwrap();
    check(&files, &chart.title, (1000, 600));
    let svg = fs::read_to_string(&files.svg).unwrap();
    assert!(svg.contains("db-primary") && svg.contains("52.6"));

    // Many bars make a taller canvas.
    let many = BarChart {
        bars: (0..40)
            .map(|i| Bar::new(format!("c{i}"), f64::from(i)))
            .collect(),
        ..chart.clone()
    };
    check(
        &bar_chart(&out, "many", &many).unwrap(),
        "Downtime",
        (1000, 40 * 34 + 140),
    );
    let bad = BarChart {
        bars: vec![Bar::new("x", f64::NAN)],
        ..chart.clone()
    };
    assert!(bar_chart(&out, "bad", &bad).is_err());
    let empty = BarChart {
        bars: vec![],
        ..chart
    };
    check(
        &bar_chart(&out, "empty", &empty).unwrap(),
        "Downtime",
        (1000, 600),
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn histogram_chart_writes_png_and_svg() {
    let dir = scratch("hist");
    let out = OutputDir::open(&dir).unwrap();
    let chart = HistogramChart {
        title: "Downtime per year".into(),
        x_label: "downtime [min/year]".into(),
        y_label: "trials".into(),
        samples: (0..500).map(|i| f64::from(i % 97) * 1.3).collect(),
        bins: Bins::Auto,
        show_mean: true,
        quantiles: vec![0.5, 0.99],
    };
    let files = histogram_chart(&out, "downtime-hist", &chart).unwrap();
    check(&files, &chart.title, (1000, 600));
    let svg = fs::read_to_string(&files.svg).unwrap();
    assert!(svg.contains("p99") && svg.contains("mean") && svg.contains("n = 500"));

    for bins in [Bins::Count(0), Bins::Edges(vec![1.0, 1.0])] {
        let bad = HistogramChart {
            bins,
            ..chart.clone()
        };
        assert!(histogram_chart(&out, "bad", &bad).is_err());
    }
    let empty = HistogramChart {
        samples: vec![f64::NAN],
        ..chart
    };
    check(
        &histogram_chart(&out, "empty", &empty).unwrap(),
        "Downtime per year",
        (1000, 600),
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stems_are_checked() {
    let dir = scratch("stem");
    let out = OutputDir::open(&dir).unwrap();
    let err = line_chart(&out, "../x", &sample_line()).unwrap_err();
    assert!(matches!(
        err,
        PlotError::Output(OutputError::InvalidName { .. })
    ));
    fs::remove_dir_all(&dir).unwrap();
}
