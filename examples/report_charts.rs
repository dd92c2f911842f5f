//! Render one example of each chart kind, to review the chart style.
//!
//! `cargo run --example report_charts -- [folder]` (default
//! `/tmp/resim-charts`). The data is synthetic, shaped like a drill and an
//! availability run.

use std::path::PathBuf;

use resim::report::OutputDir;
use resim::report::plot::{
    Bar, BarChart, Bins, HistogramChart, Layer, LineChart, Marker, MarkerKind, Series,
    StackedAreaChart, bar_chart, histogram_chart, line_chart, stacked_area_chart,
};

fn main() -> anyhow::Result<()> {
    let folder = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("/tmp/resim-charts"), PathBuf::from);
    let out = OutputDir::open(&folder)?;

    // A drill: a database primary fails at 10 min, failover at 12 min.
    let t: Vec<f64> = (0..=360).map(|i| f64::from(i) / 6.0).collect();
    let dip = |x: f64| {
        if (10.0..12.5).contains(&x) {
            0.35 + 0.1 * (x - 10.0)
        } else if x >= 12.5 {
            1.0 - 0.4 * (-(x - 12.5) / 2.0).exp()
        } else {
            0.999
        }
    };
    let ratio: Vec<(f64, f64)> = t.iter().map(|&x| (x, dip(x).min(0.9995))).collect();
    let band = ratio
        .iter()
        .map(|&(x, y)| {
            let w = if (9.5..20.0).contains(&x) {
                0.06
            } else {
                0.002
            };
            ((y - w).max(0.0), (y + w).min(1.0))
        })
        .collect();
    let markers = vec![
        Marker::new(10.0, "db primary down", MarkerKind::Fault),
        Marker::new(12.5, "failover to replica", MarkerKind::Action),
        Marker::new(13.0, "scale api to 8", MarkerKind::Action),
        Marker::new(40.0, "cache flush", MarkerKind::Fault),
    ];
    let success = LineChart {
        title: "Success ratio during db-failover (200 trials)".into(),
        x_label: "time since start [min]".into(),
        y_label: "success ratio".into(),
        series: vec![Series::new("success ratio (mean, 95% band)", ratio).with_band(band)],
        markers: markers.clone(),
        log_y: false,
        log_x: false,
        y_range: Some((0.0, 1.02)),
    };
    println!("{:?}", line_chart(&out, "success-ratio", &success)?);

    let p50: Vec<(f64, f64)> = t
        .iter()
        .map(|&x| (x, 42.0 + 300.0 * (1.0 - dip(x)).powi(2)))
        .collect();
    let p99: Vec<(f64, f64)> = p50.iter().map(|&(x, y)| (x, y * 6.5 + 80.0)).collect();
    let p99_band = p99.iter().map(|&(_, y)| (y * 0.85, y * 1.2)).collect();
    let latency = LineChart {
        title: "Latency of successful requests".into(),
        x_label: "time since start [min]".into(),
        y_label: "latency [ms]".into(),
        series: vec![
            Series::new("p50", p50),
            Series::new("p99 (95% band)", p99).with_band(p99_band),
        ],
        markers: markers.clone(),
        log_y: true,
        log_x: false,
        y_range: None,
    };
    println!("{:?}", line_chart(&out, "latency", &latency)?);

    let causes = ["timeout", "5xx", "refused", "circuit open", "rate limited"];
    let layers = causes
        .iter()
        .enumerate()
        .map(|(k, cause)| {
            let values = t
                .iter()
                .map(|&x| (1.0 - dip(x)) * 400.0 * [0.45, 0.25, 0.15, 0.1, 0.05][k])
                .collect();
            Layer::new(*cause, values)
        })
        .collect();
    let errors = StackedAreaChart {
        title: "Errors by cause".into(),
        x_label: "time since start [min]".into(),
        y_label: "errors [req/s]".into(),
        x: t.clone(),
        layers,
        markers,
    };
    println!(
        "{:?}",
        stacked_area_chart(&out, "errors-by-cause", &errors)?
    );

    let downtime = BarChart {
        title: "Downtime per year by component (10 000 trials)".into(),
        x_label: "downtime [min/year]".into(),
        y_label: String::new(),
        bars: vec![
            Bar::new("postgres-primary", 212.4).with_interval(190.2, 236.0),
            Bar::new("redis-main", 64.1).with_interval(55.0, 73.9),
            Bar::new("kubernetes node pool", 31.7).with_interval(27.3, 36.2),
            Bar::new("ingress load balancer", 8.25).with_interval(6.1, 10.4),
            Bar::new("coredns", 0.42),
        ],
        note: Some("whiskers: 95% confidence interval".into()),
    };
    println!("{:?}", bar_chart(&out, "downtime-by-component", &downtime)?);

    // A skewed sample with a spike at zero, like yearly downtime.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let samples = (0..10_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            if u < 0.08 {
                0.0
            } else {
                -120.0 * (1.0 - u).ln()
            }
        })
        .collect();
    let hist = HistogramChart {
        title: "Service downtime per year across trials".into(),
        x_label: "downtime [min/year]".into(),
        y_label: "trials".into(),
        samples,
        bins: Bins::Auto,
        show_mean: true,
        quantiles: vec![0.5, 0.99],
    };
    println!("{:?}", histogram_chart(&out, "downtime-histogram", &hist)?);
    Ok(())
}
