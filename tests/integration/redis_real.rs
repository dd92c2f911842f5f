//! resim's key space against a real Redis (issue 19): when `redis-server`
//! is on PATH, start one on a free loopback port with no persistence, drive
//! a seeded Zipf cache-aside workload through RESP over a TCP socket, and
//! compare bytes per key and the steady hit ratio with [`Keyspace`] fed the
//! same commands at the same (wall-clock) times. Skipped, saying so, when
//! `redis-server` is absent. Bounded: about 1 million commands, a 60 s
//! ceiling on the whole test; the server is killed at the end.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use resim::engine::SimTime;
use resim::engine::rng::SimRng;
use resim::redis::{EvictionPolicy, KeyPopularity, Keyspace, RedisConfig, memory};

const KEYS: u32 = 20_000;
const VALUE: u32 = 1024;
/// Keys that fit in `maxmemory` (a fifth of the key space).
const ROOM: u64 = 4_000;
const ZIPF: f64 = 0.9;
/// Commands per pipelined batch (GETs, then the SETs of their misses).
const BATCH: usize = 20;
const WARMUP: usize = 60_000;
const MEASURED: usize = 150_000;
const TTL_S: u64 = 3600;

/// The server, killed when dropped (also when an assertion fails).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(exe: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(exe))
        .find(|p| p.is_file())
}

/// A RESP connection: commands are buffered and sent with [`Conn::flush`].
struct Conn {
    out: Vec<u8>,
    w: TcpStream,
    r: BufReader<TcpStream>,
}

/// A reply: a bulk string (None for nil), or a status/error/integer line.
enum Reply {
    Bulk(Option<Vec<u8>>),
    Line(String),
}

impl Conn {
    fn open(port: u16) -> Option<Conn> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
                let r = BufReader::new(s.try_clone().ok()?);
                return Some(Conn {
                    out: Vec::new(),
                    w: s,
                    r,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn push(&mut self, args: &[&[u8]]) {
        self.out
            .extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            self.out
                .extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            self.out.extend_from_slice(a);
            self.out.extend_from_slice(b"\r\n");
        }
    }

    fn flush(&mut self) {
        self.w.write_all(&self.out).expect("write to redis");
        self.out.clear();
    }

    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.r.read_line(&mut line).expect("read from redis");
        let line = line.trim_end();
        match line.strip_prefix('$') {
            Some(n) => {
                let n: i64 = n.parse().expect("bulk length");
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut buf = vec![0; n as usize + 2];
                std::io::Read::read_exact(&mut self.r, &mut buf).expect("bulk");
                buf.truncate(n as usize);
                Reply::Bulk(Some(buf))
            }
            None => Reply::Line(line.to_string()),
        }
    }

    fn call(&mut self, args: &[&[u8]]) -> Reply {
        self.push(args);
        self.flush();
        self.read()
    }

    fn used_memory(&mut self) -> u64 {
        let Reply::Bulk(Some(info)) = self.call(&[b"INFO", b"memory"]) else {
            panic!("INFO memory");
        };
        let info = String::from_utf8(info).expect("utf8");
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("used_memory")
    }

    fn set(&mut self, args: &[&[u8]]) {
        match self.call(args) {
            Reply::Line(l) if l == "+OK" => {}
            _ => panic!("{:?} failed", String::from_utf8_lossy(args[0])),
        }
    }
}

fn key_name(k: u32) -> Vec<u8> {
    let name = format!("key:{k:08}");
    assert_eq!(name.len(), memory::KEY_NAME_BYTES as usize);
    name.into_bytes()
}

/// Bytes per key: `KEYS` keys of `VALUE` bytes into an empty server with no
/// limit, `used_memory` after minus before, per key.
fn measured_bytes_per_key(c: &mut Conn, ttl: bool) -> f64 {
    c.set(&[b"FLUSHALL"]);
    let before = c.used_memory();
    let value = vec![b'x'; VALUE as usize];
    let ttl_s = TTL_S.to_string();
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(BATCH) {
        for &k in chunk {
            let name = key_name(k);
            if ttl {
                c.push(&[b"SET", &name, &value, b"EX", ttl_s.as_bytes()]);
            } else {
                c.push(&[b"SET", &name, &value]);
            }
        }
        c.flush();
        for _ in chunk {
            c.read();
        }
    }
    // A dict that doubled keeps its old table until rehashed; serverCron
    // finishes that within a few of its 100 ms cycles (activerehashing).
    std::thread::sleep(Duration::from_millis(400));
    (c.used_memory() - before) as f64 / KEYS as f64
}

/// Hit ratios (real, resim) of the cache-aside workload under `policy`,
/// every key written with a TTL when `ttl`, and the keys each holds at the
/// end (`DBSIZE`).
fn hit_ratios(c: &mut Conn, policy: EvictionPolicy, ttl: bool) -> ((f64, f64), (i64, usize)) {
    c.set(&[b"CONFIG", b"SET", b"maxmemory", b"0"]);
    c.set(&[b"FLUSHALL"]);
    // Redis counts its own baseline (about 0.9 MB) against maxmemory;
    // resim leaves it out, so the real limit is raised by it.
    let room = memory::used_by(ROOM, VALUE, ttl);
    let limit = (c.used_memory() + room).to_string();
    c.set(&[
        b"CONFIG",
        b"SET",
        b"maxmemory-policy",
        policy.name().as_bytes(),
    ]);
    c.set(&[b"CONFIG", b"SET", b"maxmemory", limit.as_bytes()]);
    let cfg = RedisConfig {
        maxmemory: room,
        policy,
        ..RedisConfig::default()
    };
    let mut ks = Keyspace::new(cfg, KEYS);
    let pop = KeyPopularity::zipf(KEYS, ZIPF).expect("zipf");
    let mut keys = SimRng::seed_from_u64(19);
    let mut ops = SimRng::seed_from_u64(20);
    let value = vec![b'x'; VALUE as usize];
    let ttl_s = TTL_S.to_string();
    let resim_ttl = ttl.then_some(SimTime(TTL_S * SimTime::SECOND.0));
    let start = Instant::now();
    let (mut real_hits, mut sim_hits, mut done) = (0u64, 0u64, 0usize);
    while done < WARMUP + MEASURED {
        let now = SimTime(start.elapsed().as_nanos() as u64);
        let batch: Vec<u32> = (0..BATCH).map(|_| pop.sample(&mut keys)).collect();
        for &k in &batch {
            c.push(&[b"GET", &key_name(k)]);
        }
        c.flush();
        let mut misses = Vec::new();
        for &k in &batch {
            match c.read() {
                Reply::Bulk(Some(_)) => real_hits += (done >= WARMUP) as u64,
                _ => misses.push(k),
            }
        }
        for &k in &misses {
            let name = key_name(k);
            if ttl {
                c.push(&[b"SET", &name, &value, b"EX", ttl_s.as_bytes()]);
            } else {
                c.push(&[b"SET", &name, &value]);
            }
        }
        c.flush();
        for _ in &misses {
            c.read();
        }
        // resim gets the same commands in the same order: the batch's GETs,
        // then SETs for its own misses.
        let sim_misses: Vec<u32> = batch
            .iter()
            .copied()
            .filter(|&k| !ks.get(k, now, &mut ops))
            .collect();
        sim_hits += ((BATCH - sim_misses.len()) * (done >= WARMUP) as usize) as u64;
        for k in sim_misses {
            ks.set(k, VALUE, resim_ttl, now, &mut ops).expect("evicts");
        }
        done += BATCH;
    }
    let Reply::Line(size) = c.call(&[b"DBSIZE"]) else {
        panic!("DBSIZE");
    };
    let real_keys = size.trim_start_matches(':').parse().unwrap_or(-1);
    (
        (
            real_hits as f64 / MEASURED as f64,
            sim_hits as f64 / MEASURED as f64,
        ),
        (real_keys, ks.len()),
    )
}

#[test]
#[cfg_attr(debug_assertions, ignore)]
fn bytes_per_key_and_hit_ratio_agree_with_a_real_redis() {
    let Some(exe) = on_path("redis-server") else {
        println!("skipped: redis-server is not on PATH (apt-get install redis-server)");
        return;
    };
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("addr").port()
    };
    let child = Command::new(exe)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let _server = Server(child);
    let mut c = Conn::open(port).expect("redis-server accepts connections");
    let Reply::Bulk(Some(info)) = c.call(&[b"INFO", b"server"]) else {
        panic!("INFO server");
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("?")
        .to_string();
    let started = Instant::now();
    for ttl in [false, true] {
        let real = measured_bytes_per_key(&mut c, ttl);
        let ours = memory::used_by(KEYS as u64, VALUE, ttl) as f64 / KEYS as f64;
        println!("redis {version}: {VALUE} B values, ttl {ttl}: {real:.1} B/key, resim {ours:.1}");
        // 0.5%: Redis 7.0 matches the formula within 1 B a key (src/redis/
        // memory.rs); other versions or allocators may differ by a few bytes,
        // while the former flat accounting was 20% off.
        assert!(
            (real - ours).abs() < 0.005 * real,
            "redis {version}: {real:.1} B/key, resim {ours:.1}"
        );
    }
    for (policy, ttl, tol) in [
        (EvictionPolicy::AllKeysLru, false, 0.02),
        (EvictionPolicy::VolatileLru, true, 0.02),
        (EvictionPolicy::AllKeysLfu, false, 0.03),
    ] {
        let ((real, sim), (real_keys, sim_keys)) = hit_ratios(&mut c, policy, ttl);
        println!(
            "redis {version}: {}: hit ratio real {real:.4}, resim {sim:.4}; keys held {real_keys}, {sim_keys}",
            policy.name()
        );
        // Each hit ratio over 150,000 reads has a binomial sd of 0.0013,
        // about 0.005 with the correlation of successive cache states; 3 sd
        // of the difference of two is 0.02. LFU gets 0.01 more for the gap
        // the issue measured (resim 0.002-0.004 higher) and the LFU
        // counter's coarse minute clock over this short run. Measured on
        // Redis 7.0.15 (2 shared cores, batches of 20): resim reads 0.002 to
        // 0.009 higher under all three policies; Redis counts its client
        // buffers in used_memory against maxmemory, so it holds up to 0.8%
        // fewer keys (printed), which explains part of it.
        assert!(
            (real - sim).abs() < tol,
            "redis {version}: {}: real {real:.4}, resim {sim:.4}",
            policy.name()
        );
    }
    assert!(started.elapsed() < Duration::from_secs(60), "took too long");
}
