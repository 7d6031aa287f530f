#!/usr/bin/env python3
"""A loopback stand-in for the Hugging Face hub and raw.githubusercontent.com (tests only).

Serves ROOT/<owner>/<name>/<file> as Hugging Face repositories:
  GET /api/models/<owner>/<name>/revision/<rev>?blobs=true  the model API's JSON (sha, siblings[]
      with rfilename, size, blobId and, for LFS files, lfs.sha256/size)
  GET /<owner>/<name>/resolve/<rev>/<file>   LFS files: 302 to /cdn/<sha256> on this server (the
      file host); other files directly
  GET /cdn/<sha256>                          the LFS file, honouring "Range: bytes=N-"
and ROOT/github/<file> as GET /OpenImagingLab/FlashVSR/<commit>/<path ending in file>.
Prints "PORT <n>" once listening. Every request is appended to --log as a JSON line
(path, range header, status). Faults: --cut NAME:BYTES:TIMES (the first TIMES answers for NAME
stop after BYTES body bytes and close the connection), --corrupt NAME (one byte flipped in what is
served, not in the API's hash), --missing NAME (resolve answers 404), --stall NAME:BYTES (send
BYTES body bytes, then nothing for a minute, connection open).
"""
import argparse
import hashlib
import http.server
import json
import os
import sys
import threading
import time

LFS_SUFFIXES = (".safetensors", ".ckpt", ".pth", ".bin")


def git_blob(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit_of(repo):
    return hashlib.sha1(("commit of " + repo).encode()).hexdigest()


class Hub:
    def __init__(self, args):
        self.root = args.root
        self.log_path = args.log
        self.cuts = {}
        for spec in args.cut or []:
            name, size, times = spec.split(":")
            self.cuts[name] = [int(size), int(times)]
        self.corrupt = set(args.corrupt or [])
        self.missing = set(args.missing or [])
        self.stalls = {}
        for spec in args.stall or []:
            name, size = spec.split(":")
            self.stalls[name] = int(size)
        self.lock = threading.Lock()

    def log(self, entry):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def repo_dir(self, owner, name):
        d = os.path.join(self.root, owner, name)
        return d if os.path.isdir(d) and owner != "github" else None

    def lfs_index(self):
        index = {}
        for owner in os.listdir(self.root):
            if owner == "github":
                continue
            for name in os.listdir(os.path.join(self.root, owner)):
                d = os.path.join(self.root, owner, name)
                for f in os.listdir(d):
                    data = open(os.path.join(d, f), "rb").read()
                    index[hashlib.sha256(data).hexdigest()] = (f, os.path.join(d, f))
        return index


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.hub.log({"path": self.path, "range": self.headers.get("Range"), "status": status})

    def json_answer(self, status, obj):
        self.answer(status, json.dumps(obj).encode(), {"Content-Type": "application/json"})

    def serve_file(self, name, path):
        data = open(path, "rb").read()
        if name in self.hub.corrupt:
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        start = 0
        status = 200
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                return self.answer(416, b"", {"Content-Range": "bytes */%d" % len(data)})
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = data[start:]
        stall = self.hub.stalls.get(name)
        if stall is not None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:stall])
            self.wfile.flush()
            self.hub.log({"path": self.path, "range": rng, "status": status, "stall": stall})
            time.sleep(60)
            self.close_connection = True
            return
        cut = self.hub.cuts.get(name)
        if cut and cut[1] > 0:
            cut[1] -= 1
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: cut[0]])
            self.wfile.flush()
            self.close_connection = True
            self.hub.log({"path": self.path, "range": rng, "status": status, "cut": cut[0]})
            return
        self.answer(status, body, headers)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        hub = self.hub
        if parts[:2] == ["api", "models"] and len(parts) == 6 and parts[4] == "revision":
            owner, name, rev = parts[2], parts[3], parts[5]
            d = hub.repo_dir(owner, name)
            if d is None:
                return self.json_answer(401, {"error": "Repository Not Found"})
            repo = owner + "/" + name
            if rev not in ("main", commit_of(repo)):
                return self.json_answer(404, {"error": "Invalid rev id: " + rev})
            siblings = []
            for f in sorted(os.listdir(d)):
                data = open(os.path.join(d, f), "rb").read()
                s = {"rfilename": f, "size": len(data)}
                if f.endswith(LFS_SUFFIXES):
                    pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\n"
                               "size %d\n" % (hashlib.sha256(data).hexdigest(), len(data)))
                    s["blobId"] = git_blob(pointer.encode())
                    s["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "pointerSize": len(pointer)}
                else:
                    s["blobId"] = git_blob(data)
                siblings.append(s)
            return self.json_answer(200, {"id": repo, "sha": commit_of(repo),
                                          "siblings": siblings})
        if len(parts) == 5 and parts[2] == "resolve":
            owner, name, rev, f = parts[0], parts[1], parts[3], parts[4]
            d = hub.repo_dir(owner, name)
            if d is None or not os.path.isfile(os.path.join(d, f)) or f in hub.missing:
                return self.answer(404, b"Entry not found")
            if rev not in ("main", commit_of(owner + "/" + name)):
                return self.answer(404, b"Revision not found")
            data = open(os.path.join(d, f), "rb").read()
            if f.endswith(LFS_SUFFIXES):
                host = "http://127.0.0.1:%d" % self.server.server_address[1]
                return self.answer(302, b"", {
                    "Location": host + "/cdn/" + hashlib.sha256(data).hexdigest()})
            return self.serve_file(f, os.path.join(d, f))
        if len(parts) == 2 and parts[0] == "cdn":
            entry = hub.lfs_index().get(parts[1])
            if entry is None:
                return self.answer(404, b"no such object")
            return self.serve_file(*entry)
        if len(parts) > 3 and parts[:2] == ["OpenImagingLab", "FlashVSR"]:
            f = os.path.join(hub.root, "github", parts[-1])
            if not os.path.isfile(f) or parts[-1] in hub.missing:
                return self.answer(404, b"404: Not Found")
            return self.serve_file(parts[-1], f)
        return self.answer(404, b"unknown path")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cut", action="append")
    p.add_argument("--corrupt", action="append")
    p.add_argument("--missing", action="append")
    p.add_argument("--stall", action="append")
    args = p.parse_args()
    Handler.hub = Hub(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
