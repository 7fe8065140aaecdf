#!/usr/bin/env bash
# Build cost of the generated client: clean debug builds, each measured with
# `/usr/bin/time -v` (CPU = user + system seconds of cargo and every rustc; peak RSS = the
# largest single process, in practice the biggest rustc), plus generated lines per method.
#
#   benches/build-cost.sh                      # all scenarios, one run each (about 10 minutes on 2 cores)
#   benches/build-cost.sh --quick              # skip the aws-lc-rs and native-tls app builds
#   benches/build-cost.sh --quick --runs 3     # each figure the median of 3 runs
#
# Scenarios:
#   crate, all scopes      `cargo build -p bitrix24` (default features: the facade and every
#                          scope crate under generated/scopes), dependencies prebuilt
#   crate, biggest scope   the same with `--no-default-features --features <scope>,rustls-ring`
#   app (<scope>, <tls>)   a new binary crate depending on `bitrix24` (one scope, one TLS
#                          backend, no events) by path, built from nothing: every dependency
#                          included; the biggest scope, and the smallest with `rustls-ring`
#   rustdoc, biggest scope `cargo doc --no-deps --all-features` of that scope's crate (its
#                          dependencies' metadata prebuilt): what docs.rs does per crate
#   stack alone            an app on the runtime's HTTP, TLS, async and serde stack
#                          (reqwest, rustls with ring, Tokio, serde) without any bitrix24
#                          crate: the floor under the app figures
#
# Everything builds under target/build-cost (override: BUILD_COST_DIR), never in the
# workspace's own target/. CARGO_INCREMENTAL=0, as in CI, for stable figures. CPU seconds
# are the stable figure on a shared machine; wall seconds depend on the load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${BUILD_COST_DIR:-$root/target/build-cost}
quick=false
runs=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=true ;;
    --runs) runs=$2; shift ;;
    *) echo "usage: $0 [--quick] [--runs N]" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
export CARGO_INCREMENTAL=0
export CARGO_TERM_QUIET=true

if /usr/bin/time -v true >/dev/null 2>&1; then
  have_time=true
else
  have_time=false
  echo "note: /usr/bin/time -v is not available: peak RSS is not measured" >&2
fi

rows=()
# median <numbers...>: the median (the lower middle value for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
# measure <label> <prepare> <command...>: runs `prepare` (eval'd: the cleaning step) and
# then the command, $runs times; appends a table row of the medians.
measure() {
  local label=$1 prepare=$2
  shift 2
  local log=$out/last.log cpus=() walls=() rsss=()
  for _ in $(seq "$runs"); do
    eval "$prepare"
    if $have_time; then
      /usr/bin/time -v -o "$out/time.txt" "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
      local user sys wall rss
      user=$(awk -F': ' '/User time/ {print $2}' "$out/time.txt")
      sys=$(awk -F': ' '/System time/ {print $2}' "$out/time.txt")
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
      rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
      cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f", u + s}')")
      walls+=("$(echo "$wall" | awk -F: '{ if (NF == 3) printf "%.1f", $1*3600 + $2*60 + $3; else printf "%.1f", $1*60 + $2 }')")
      rsss+=("$((rss / 1024))")
    else
      local start end t0 t1
      t0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
      start=$(date +%s.%N)
      "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
      end=$(date +%s.%N)
      t1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
      cpus+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 100}')")
      walls+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')")
      rsss+=(0)
    fi
    echo "  $label: ${cpus[-1]} s CPU, ${walls[-1]} s wall, ${rsss[-1]} MB" >&2
  done
  local rss_cell=n/a
  $have_time && rss_cell=$(median "${rsss[@]}")
  rows+=("| $label | $(median "${cpus[@]}") | $(median "${walls[@]}") | $rss_cell |")
  echo "${rows[-1]}" >&2
}

# The scope with the most methods, and the method count; the one with the fewest.
by_size=$(for d in spec/methods/*/; do echo "$(find "$d" -name '*.yaml' | wc -l) $(basename "$d")"; done | sort -rn)
biggest=$(echo "$by_size" | head -1 | cut -d' ' -f2)
smallest=$(echo "$by_size" | tail -1 | cut -d' ' -f2)
feature=$(echo "$biggest" | tr '[:upper:]' '[:lower:]')
methods=$(find spec/methods -name '*.yaml' | wc -l)
scope_methods=$(find "spec/methods/$biggest" -name '*.yaml' | wc -l)
lines=$(find generated/bitrix24/src generated/scopes -name '*.rs' -print0 | xargs -0 cat | wc -l)
files=$(find generated/bitrix24/src generated/scopes -name '*.rs' | wc -l)
# Every generated package (the facade and the scope crates), to clean between builds.
clean_generated=(cargo clean --target-dir "$out/workspace")
for manifest in generated/bitrix24/Cargo.toml generated/scopes/*/Cargo.toml; do
  clean_generated+=(-p "$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -1)")
done

# The generated crate alone, dependencies prebuilt.
ws=$out/workspace
cargo build -p bitrix24 --target-dir "$ws"
cargo build -p bitrix24 --no-default-features --features "$feature,rustls-ring" --target-dir "$ws"
# Alone, the scope crate builds the runtime with other features (no TLS backend).
cargo build -p "bitrix24-$feature" --target-dir "$ws"
measure "crate, all scopes ($methods methods)" '"${clean_generated[@]}"' \
  cargo build -p bitrix24 --target-dir "$ws"
measure "crate, \`$feature\` only, through the facade ($scope_methods methods)" '"${clean_generated[@]}"' \
  cargo build -p bitrix24 --no-default-features --features "$feature,rustls-ring" --target-dir "$ws"
# The scope crate alone (without the facade's `ErrorCode`).
measure "crate \`bitrix24-$feature\` alone ($scope_methods methods)" '"${clean_generated[@]}"' \
  cargo build -p "bitrix24-$feature" --target-dir "$ws"
# Rustdoc of the biggest crate with all its features, as docs.rs builds it.
cargo doc -p "bitrix24-$feature" --no-deps --all-features --target-dir "$ws"
measure "rustdoc \`bitrix24-$feature\`, all features" 'cargo clean -p "bitrix24-$feature" --target-dir "$ws"' \
  cargo doc -p "bitrix24-$feature" --no-deps --all-features --target-dir "$ws"

# A new app using one scope, built from nothing (the workspace's Cargo.lock pins versions).
app=$out/app
mkdir -p "$app/src"
cp Cargo.lock "$app/Cargo.lock"
cat >"$app/src/main.rs" <<'EOF'
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), bitrix24::Error> {
    let client = bitrix24::Client::webhook("https://example.bitrix24.com/rest/1/abc123/")?;
    let reply = client.call_raw("user.current", bitrix24::serde_json::json!({})).await?;
    println!("{}", reply.result);
    Ok(())
}
EOF
# (scope, TLS backend) pairs: the biggest scope with each backend, then the smallest scope.
apps=("$feature rustls-ring")
$quick || apps+=("$feature rustls-aws-lc-rs" "$feature native-tls")
apps+=("$(echo "$smallest" | tr '[:upper:]' '[:lower:]') rustls-ring")
for pair in "${apps[@]}"; do
  read -r scope tls <<<"$pair"
  cat >"$app/Cargo.toml" <<EOF
[package]
name = "build-cost-app"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
bitrix24 = { path = "$root/generated/bitrix24", default-features = false, features = ["$scope", "$tls"] }
tokio = { version = "1", features = ["macros", "rt"] }

[workspace]
EOF
  measure "app: \`$scope\` + \`$tls\`, clean, all dependencies" 'rm -rf "$out/app-target"' \
    cargo build --manifest-path "$app/Cargo.toml" --target-dir "$out/app-target"
done

# The floor under any app: the HTTP, TLS, async and serde stack the runtime is built on
# (as `rustls-ring` configures it), in an app without any bitrix24 crate.
stack=$out/stack
mkdir -p "$stack/src"
cp Cargo.lock "$stack/Cargo.lock"
cat >"$stack/Cargo.toml" <<EOF
[package]
name = "build-cost-stack"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["std", "tls12", "ring"] }
rustls-platform-verifier = "0.7"
tokio = { version = "1", features = ["macros", "rt", "time", "sync"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[workspace]
EOF
cat >"$stack/src/main.rs" <<'EOF'
#[derive(serde::Deserialize)]
struct Reply {
    result: serde_json::Value,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().build()?;
    let body = client.get("https://example.com").send().await?.text().await?;
    let reply: Reply = serde_json::from_str(&body)?;
    println!("{}", reply.result);
    Ok(())
}
EOF
measure "the dependency stack alone (no bitrix24 crate), clean" 'rm -rf "$out/stack-target"' \
  cargo build --manifest-path "$stack/Cargo.toml" --target-dir "$out/stack-target"

echo
echo "Generated: $files files, $lines lines of Rust for $methods methods ($((lines / methods)) lines per method)."
echo "$(nproc) cores, $(rustc --version); CARGO_INCREMENTAL=0; CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-default}; median of $runs run(s); $(date -u +%Y-%m-%d)."
echo
echo "| build (debug) | CPU s | wall s | peak RSS MB |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
