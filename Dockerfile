# AppTrust image: apptrust-decision, apptrust-store and apptrustctl on
# Debian 12, running as the non-root user apptrust (uid 10001).
#   docker build -t apptrust:dev .
#   docker run --rm apptrust:dev apptrust-decision --help
# or daemonless, and then a check that both services start and are SERVING:
#   buildah bud --isolation chroot -t apptrust:dev . && scripts/image-check
# deploy/k8s runs the binaries with their flags (docs/OPERATING.md).

# ---- build: the same packages as scripts/bootstrap (scripts/packages.txt) ----
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/bootstrap scripts/install_kubectl scripts/install_node scripts/packages.txt scripts/
RUN scripts/bootstrap && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPPTRUST_BUILD_TESTS=OFF \
 && ninja -C /build apptrust-decision apptrust-store apptrustctl \
 && mkdir -p /out/bin \
 && cp /build/services/decision/apptrust-decision /build/services/store/apptrust-store \
       /build/tools/apptrustctl/apptrustctl /out/bin/ \
 && strip --strip-debug /out/bin/*
# The runtime packages are the ones owning the shared libraries the binaries
# link, found with ldd and dpkg, so this list cannot drift from the build.
RUN ldd /out/bin/* | awk '/=> \// { print $3 }' | sort -u | while read -r lib; do \
      real="$(readlink -f "$lib")"; \
      dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null \
        || dpkg -S "/usr$real" 2>/dev/null || { echo "no package owns $lib" >&2; exit 1; }; \
    done | cut -d: -f1 | sort -u > /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

# ---- runtime: shared libraries, CA certificates (the probes' default trust
# store), the Public Suffix List (eTLD+1), nothing else ----
FROM debian:12-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs apt-get install -y --no-install-recommends ca-certificates publicsuffix \
      < /tmp/runtime-packages.txt \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 apptrust \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/apptrust \
      --shell /usr/sbin/nologin apptrust \
 && install -d -o apptrust -g apptrust /var/lib/apptrust /etc/apptrust
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/apptrust
# gRPC (decision, store), explanation page, metrics (decision, store).
EXPOSE 50051 50052 8080 9101 9102
CMD ["apptrust-decision", "--help"]
