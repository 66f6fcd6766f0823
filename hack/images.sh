#!/usr/bin/env bash
# Builds the product's OCI images with buildah (vfs storage, no daemon, no registry) from
# packages only: Node.js LTS from the npm registry's node-linux-<arch> package, its shared
# libraries and busybox from Debian packages, gobgpd cross-compiled from the pinned Go module.
#
#   vip-announcer  Node 24, dist/operator (no tests) and production node_modules; user 65532,
#                  no shell, no package manager
#   gobgpd         static gobgpd (GoBGP v4, and v3 under its own tag) + busybox for the sh, rm
#                  and kill the DaemonSet's start wrapper and preStop hook need
#   pause          the lab's sandbox image (a 1-file static binary); lab only, amd64 only
#
# Each image is one multi-arch index (linux/amd64 + linux/arm64; IMAGE_ARCHES overrides),
# tagged with the version and the commit, written as an OCI archive to $IMAGES_OUT
# (default .images/) that the lab imports into every node's containerd.
#
#   hack/images.sh            build what changed, print each image's size
#   hack/images.sh --names    print the image references (what config/ names)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"

NODE_MAJOR=24
NODE_VERSION="${IMAGE_NODE_VERSION:-24.22.3}"
ARCHES="${IMAGE_ARCHES:-amd64 arm64}"
OUT="${IMAGES_OUT:-$VIPA_ROOT/.images}"
CACHE="$VIPA_CACHE/images"
VERSION="$(node -p "require('./package.json').version")"
COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain -- operator package.json package-lock.json hack/images.sh 2>/dev/null)" ]]; then COMMIT="$COMMIT-dirty"; fi
REPO=ghcr.io/vip-announcer
GOBGP_V4="$(gobgp_version 4)"
GOBGP_V3="$(gobgp_version 3)"

# What config/, the bundle and the installer's defaults name (test-e2e/images.test.ts checks it).
names() {
  echo "$REPO/vip-announcer:$VERSION"
  echo "$REPO/gobgpd:$GOBGP_V4"
  echo "$REPO/gobgpd:$GOBGP_V3"
}
[[ ${1:-} == --names ]] && { names; exit 0; }

BUILDAH=(buildah --storage-driver vfs --root "$CACHE/storage" --runroot "$CACHE/run")

deb_arch() { case "$1" in amd64) echo amd64 ;; arm64) echo arm64 ;; *) die "unsupported arch $1" ;; esac; }
multiarch() { case "$1" in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; esac; }
node_pkg_arch() { case "$1" in amd64) echo x64 ;; arm64) echo arm64 ;; esac; }

ensure_tools() {
  local missing=() p
  for p in buildah busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} > 0)); then
    log "Installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  fi
  local a
  for a in $ARCHES; do
    [[ $a == "$(dpkg --print-architecture)" ]] && continue
    if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
      log "Adding Debian architecture $a (for the $a images' shared libraries)"
      dpkg --add-architecture "$a"
      apt-get update -qq
    fi
  done
}

# Debian packages of one architecture, unpacked once into the cache.
debs() { # arch pkg...
  local arch="$1"; shift
  local dir="$CACHE/debs/$arch" p
  mkdir -p "$dir"
  for p in "$@"; do
    [[ -d $dir/$p.root ]] && continue
    (cd "$dir" && rm -f "${p}"_*.deb && { apt-get download -qq "$p:$arch" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$p:$arch"; }; }) >&2
    mkdir -p "$dir/$p.root.tmp"
    dpkg-deb -x "$dir/${p}"_*.deb "$dir/$p.root.tmp" >&2
    mv "$dir/$p.root.tmp" "$dir/$p.root"
  done
  echo "$dir"
}

node_binary() { # arch → path of the node binary
  local pkg="node-linux-$(node_pkg_arch "$1")" dir="$CACHE/node/$NODE_VERSION-$1"
  if [[ ! -x $dir/package/bin/node ]]; then
    log "Fetching Node.js $NODE_VERSION ($pkg, npm registry)"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz package/bin/node package/LICENSE && rm -f ./*.tgz)
  fi
  echo "$dir/package"
}

prod_modules() { # → a node_modules of production dependencies only (pure JavaScript, any arch)
  local hash dir
  hash="$(cat package.json package-lock.json | sha256sum | cut -c1-16)"
  dir="$CACHE/prod-modules/$hash"
  if [[ ! -d $dir/node_modules ]]; then
    log "npm ci --omit=dev for the image"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cp package.json package-lock.json "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
    if find "$dir.tmp/node_modules" -name '*.node' | grep -q .; then die "a production dependency ships a native addon: the image would need it per arch"; fi
    rm -f "$dir.tmp/node_modules/.package-lock.json"
    # What only a compiler, an editor or a reader uses: types, source maps, TypeScript sources, docs.
    rm -rf "$dir.tmp/node_modules/@types"
    find "$dir.tmp/node_modules" -depth -type d \( -name test -o -name tests -o -name __tests__ \) -exec rm -rf {} +
    find "$dir.tmp/node_modules" -type f \( -name '*.test.js' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \) -delete
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir/node_modules"
}

# Users of a shell-less image: root and nonroot (65532, as distroless).
passwd_files() { # rootfs
  mkdir -p "$1/etc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
  mkdir -p "$1/tmp" "$1/home/nonroot" && chmod 1777 "$1/tmp" && chown 65532:65532 "$1/home/nonroot"
}

# Copies the named shared objects (following symlinks) from unpacked packages to the same paths.
copy_libs() { # rootfs debs-dir pkg:path...
  local root="$1" dir="$2" spec pkg rel
  shift 2
  for spec in "$@"; do
    pkg="${spec%%:*}"; rel="${spec#*:}"
    mkdir -p "$root/$(dirname "$rel")"
    cp -L "$dir/$pkg.root/$rel" "$root/$rel"
    [[ -f $dir/$pkg.root/usr/share/doc/$pkg/copyright ]] && mkdir -p "$root/usr/share/doc/$pkg" \
      && cp "$dir/$pkg.root/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/"
  done
  return 0
}

stage_vip_announcer() { # arch rootfs
  local arch="$1" root="$2" ma dir node loader
  ma="$(multiarch "$arch")"
  dir="$(debs "$arch" libc6 libstdc++6 libgcc-s1)"
  node="$(node_binary "$arch")"
  case "$arch" in amd64) loader=lib64/ld-linux-x86-64.so.2 ;; arm64) loader=lib/ld-linux-aarch64.so.1 ;; esac
  passwd_files "$root"
  mkdir -p "$root/nodejs/bin" "$root/app" "$root/$(dirname "$loader")"
  cp "$node/bin/node" "$root/nodejs/bin/node"
  cp "$node/LICENSE" "$root/nodejs/LICENSE"
  copy_libs "$root" "$dir" "libc6:lib/$ma/libc.so.6" "libc6:lib/$ma/libm.so.6" "libc6:lib/$ma/libdl.so.2" \
    "libc6:lib/$ma/libpthread.so.0" "libc6:lib/$ma/$(basename "$loader")" \
    "libstdc++6:usr/lib/$ma/libstdc++.so.6" "libgcc-s1:lib/$ma/libgcc_s.so.1"
  [[ -e $root/$loader ]] || cp -L "$dir/libc6.root/lib/$ma/$(basename "$loader")" "$root/$loader"
  cp package.json "$root/app/"
  cp -r "$(prod_modules)" "$root/app/node_modules"
  mkdir -p "$root/app/dist"
  cp -r dist/operator "$root/app/dist/operator"
  find "$root/app/dist" \( -name '*.test.js' -o -name '*.map' -o -name '*Testing.js' -o -name 'fake*.js' -o -name 'testing.js' \) -delete
}

stage_gobgpd() { # arch major rootfs
  local arch="$1" major="$2" root="$3" bin dir
  bin="$(gobgpd_for "$arch" "$major")"
  dir="$(debs "$arch" busybox-static)"
  passwd_files "$root"
  mkdir -p "$root/usr/local/bin" "$root/bin"
  cp "$bin" "$root/usr/local/bin/gobgpd"
  # busybox for `sh` and `rm` (the start wrapper: stale socket, umask) and `sleep`, `date` and `kill` (the preStop hook) only.
  cp "$dir/busybox-static.root/bin/busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  ln -s busybox "$root/bin/kill"
  ln -s busybox "$root/bin/rm"
  ln -s busybox "$root/bin/sleep"
  ln -s busybox "$root/bin/date"
  mkdir -p "$root/usr/share/doc/busybox-static" && cp "$dir/busybox-static.root/usr/share/doc/busybox-static/copyright" "$root/usr/share/doc/busybox-static/"
}

gobgpd_for() { # arch major → a static gobgpd for that arch
  local arch="$1" major="$2" dir version
  version="$(gobgp_version "$major")"
  if [[ $arch == "$(go env GOARCH)" ]]; then
    "$VIPA_ROOT/hack/build-gobgp.sh" "v$major" >&2
    echo "$(gobgp_bin_dir "v$major")/gobgpd"; return 0
  fi
  dir="$VIPA_CACHE/gobgp/v$version/linux-$arch"
  if [[ ! -x $dir/gobgpd ]]; then
    log "Cross-compiling gobgpd v$version for linux/$arch"
    mkdir -p "$dir"
    (cd "$VIPA_ROOT/hack/gobgp-v$major" && with_heartbeat "building gobgpd v$version ($arch)" \
      env CGO_ENABLED=0 GOOS=linux GOARCH="$arch" GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -ldflags "-s -w" \
        -o "$dir/gobgpd.tmp" "github.com/osrg/gobgp/v$major/cmd/gobgpd")
    mv "$dir/gobgpd.tmp" "$dir/gobgpd"
  fi
  echo "$dir/gobgpd"
}

stage_pause() { # rootfs
  local root="$1" bin="$CACHE/pause/pause"
  if [[ ! -x $bin ]]; then
    mkdir -p "$CACHE/pause"
    gcc -static -Os -o "$bin.tmp" "$VIPA_ROOT/hack/images/pause.c" && strip "$bin.tmp" && mv "$bin.tmp" "$bin"
  fi
  mkdir -p "$root"
  cp "$bin" "$root/pause"
}

# Content hash of a staged root: an unchanged image is not committed again.
tree_hash() { (cd "$1" && find . -printf '%p %m %U %s %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }

# One image of one arch from a staged root; prints its local name.
commit_arch() { # name arch rootfs config-args...
  local name="$1" arch="$2" root="$3"; shift 3
  local ref="localhost/vipa-build/$name:$arch-$(tree_hash "$root")" c
  if "${BUILDAH[@]}" inspect --type image "$ref" >/dev/null 2>&1; then echo "$ref"; return 0; fi
  c="$("${BUILDAH[@]}" from --arch "$arch" --os linux scratch)"
  "${BUILDAH[@]}" copy --quiet "$c" "$root/" / >/dev/null
  "${BUILDAH[@]}" config --arch "$arch" --os linux \
    --label "org.opencontainers.image.source=vip-announcer" \
    --label "org.opencontainers.image.version=$VERSION" \
    --label "org.opencontainers.image.revision=$COMMIT" "$@" "$c"
  "${BUILDAH[@]}" commit --quiet --format oci --timestamp 0 --rm "$c" "$ref" >/dev/null
  echo "$ref"
}

# Writes the multi-arch index of per-arch images as an OCI archive under several tags.
write_archive() { # archive "ref1 ref2" tag...
  local archive="$1" refs="$2"; shift 2
  local list="localhost/vipa-build/index-$$-$RANDOM" layout="$archive.layout" r t
  "${BUILDAH[@]}" manifest create "$list" >/dev/null
  for r in $refs; do "${BUILDAH[@]}" manifest add "$list" "containers-storage:$r" >/dev/null; done
  rm -rf "$layout"
  for t in "$@"; do "${BUILDAH[@]}" manifest push --all --quiet --format oci "$list" "oci:$layout:$t" >/dev/null; done
  "${BUILDAH[@]}" manifest rm "$list" >/dev/null
  SIZES="$(node "$VIPA_ROOT/hack/images/size.mjs" "$layout")"
  tar -C "$layout" -cf "$archive.tmp" . && mv "$archive.tmp" "$archive" && rm -rf "$layout"
}

build_image() { # name tags-space-separated stage-fn stage-args... -- config-args...
  local name="$1" tags="$2" fn="$3"; shift 3
  local stage_args=() cfg=() seen=0 a refs="" root t0=$SECONDS
  for a in "$@"; do if [[ $a == -- ]]; then seen=1; elif ((seen)); then cfg+=("$a"); else stage_args+=("$a"); fi; done
  for a in $ARCHES; do
    root="$CACHE/stage/$name-$a"
    rm -rf "$root" && mkdir -p "$root"
    "$fn" "$a" "${stage_args[@]}" "$root"
    refs+=" $(commit_arch "$name" "$a" "$root" "${cfg[@]}")"
  done
  # shellcheck disable=SC2086
  write_archive "$OUT/$name.tar" "$refs" $tags
  log "image $name ($((SECONDS - t0))s): $SIZES"
}

main() {
  local t0=$SECONDS
  ensure_tools
  mkdir -p "$OUT" "$CACHE"
  [[ -f dist/operator/main.js ]] || die "dist/ is not built: run make build first"
  log "Building images $VERSION ($COMMIT) for ${ARCHES// /, } into $OUT"
  build_image vip-announcer "$REPO/vip-announcer:$VERSION $REPO/vip-announcer:$COMMIT" stage_vip_announcer -- \
    --user 65532:65532 --workingdir /app --env NODE_ENV=production --env LOG_FORMAT=json \
    --entrypoint '["/nodejs/bin/node","/app/dist/operator/main.js"]' --cmd '["controller","--config","/etc/vip-announcer/config.yaml"]'
  build_image gobgpd-v4 "$REPO/gobgpd:$GOBGP_V4" stage_gobgpd 4 -- --user 65532:65532 --entrypoint '["/usr/local/bin/gobgpd"]' --env PATH=/usr/local/bin:/bin
  build_image gobgpd-v3 "$REPO/gobgpd:$GOBGP_V3" stage_gobgpd 3 -- --user 65532:65532 --entrypoint '["/usr/local/bin/gobgpd"]' --env PATH=/usr/local/bin:/bin
  ARCHES=amd64 build_image pause "vipa.local/pause:1" stage_pause_arch -- --user 65535:65535 --entrypoint '["/pause"]'
  log "images built in $((SECONDS - t0))s"
}

stage_pause_arch() { stage_pause "$2"; }

main "$@"
