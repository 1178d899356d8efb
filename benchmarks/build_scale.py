#!/usr/bin/env python3
"""Build-at-scale benchmark: talkbase against a naive mkdocs-material site with the same pages.

For each N it
  1. generates N synthetic episodes shaped like the seed episode talks/003.yaml (same sections and
     sizes, Chinese text, links, math, questions with answers, topics and people from fixed pools,
     fixed random seed) into a temporary copy of the project (mkdocs.yml, series.yml, data/,
     templates/ and the hand-written docs/ files from `git ls-files`; data/people.yml is generated
     so that every person id is valid);
  2. times the generator alone (load + validate, render, write into a fresh docs/) in a subprocess;
  3. times `talkbase validate` over the N episodes;
  4. times `talkbase build` (every feature of the project's mkdocs.yml on: Chinese search, topics,
     people, papers, feeds when the generator writes them) in a fresh subprocess, with its peak RSS
     and the size of the search index a reader's browser downloads;
  5. builds the naive baseline in a fresh subprocess: the same pages rendered by talkbase's own
     renderer, written as plain .md files into a default mkdocs-material site with every page in the
     navigation and Chinese search (theme language zh + jieba), no talkbase plugin;
  6. measures the serve edit latency: `talkbase serve` on 127.0.0.1, edit one episode's YAML (an item
     title becomes a unique marker), poll the served page until the marker shows.

Progress goes to stderr, one JSON line per N to stdout (and to --json-out). See benchmarks/README.md.

    .venv/bin/python benchmarks/build_scale.py --quick
    .venv/bin/python benchmarks/build_scale.py --episodes 100,500,1000 --json-out /tmp/scale.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = 20230708
SITE_URL = "https://talk.example.org/"  # lets feeds and the sitemap carry absolute URLs, in both builds

# --- synthetic content ----------------------------------------------------------------------------

PEOPLE = [  # (id, name); the seed's own ids first, so the bundled people.yml stays valid
    ("xianyu", "羡鱼"), ("suc16", "suc16"), ("chuqi", "初七"), ("openllm-members", "OpenLLM 群友"),
    ("zhangwei", "张伟"), ("wangfang", "王芳"), ("lina", "李娜"), ("liuyang", "刘洋"), ("chenjing", "陈静"),
    ("yangfan", "杨帆"), ("zhaolei", "赵磊"), ("huangmin", "黄敏"), ("zhouqiang", "周强"), ("wuxia", "吴霞"),
    ("xuhao", "徐浩"), ("sunli", "孙丽"), ("mayun-fan", "马云帆"), ("zhuting", "朱婷"), ("hujun", "胡军"),
    ("guoyan", "郭燕"), ("heping", "何平"), ("gaoxiang", "高翔"), ("linfeng", "林峰"), ("luoyu", "罗宇"),
    ("zhengkai", "郑凯"), ("liangchen", "梁晨"), ("songjia", "宋佳"), ("tangrui", "唐睿"), ("hanmei", "韩梅"),
    ("fengyi", "冯毅"), ("dengchao", "邓超"), ("caoxin", "曹欣"), ("pengbo", "彭博"), ("zengli", "曾力"),
    ("xiaoyu", "萧雨"), ("tianye", "田野"), ("dongqi", "董琪"), ("yuanhang", "袁航"), ("panda-nlp", "熊猫 NLP"),
    ("llm-learner", "LLM 学习者"), ("bert-fan", "BERT 粉"), ("token-counter", "数 token 的人"),
]

TOPICS = [  # names and spellings, including aliases merged by data/topics.yml
    "RoPE", "rope", "NTK-Aware Scaled RoPE", "位置编码", "vLLM", "vllm 讨论", "长上下文", "10 亿上下文",
    "LLM 综述", "量化", "quantization", "LoRA", "lora", "GLM", "chatglm", "InternLM", "书生", "文心盘古",
    "文心一言", "RLHF", "rlhf", "SuperCLUE-Open", "chatlaw", "架构", "MoE", "DPO", "PPO", "指令微调",
    "数据清洗", "评测", "Agent", "RAG", "向量检索", "多模态", "CLIP", "扩散模型", "Mamba", "状态空间模型",
    "FlashAttention", "KV cache", "投机解码", "推理加速", "分布式训练", "DeepSpeed", "Megatron", "ZeRO",
    "Tokenizer", "BBPE", "SentencePiece", "蒸馏", "剪枝", "幻觉", "对齐", "安全", "红队测试", "代码模型",
    "数学推理", "思维链", "工具调用", "函数调用", "长文本评测", "Qwen", "LLaMA", "Mistral", "百川",
    "ChatGLM3", "Yi", "DeepSeek", "Gemini", "GPT-4", "Claude", "开源协议", "算力", "国产芯片", "端侧模型",
    "语音", "视频生成", "世界模型", "具身智能", "合成数据", "预训练数据", "Scaling Law", "涌现能力",
]

WORDS = [  # fragments of the seed's kind of prose, recombined into sentences
    "大语言模型", "上下文长度", "注意力机制", "位置编码", "旋转位置编码", "外推能力", "插值", "微调", "全量微调",
    "参数高效微调", "显存", "推理速度", "吞吐量", "批大小", "量化", "评测基准", "开源社区", "中文能力",
    "多轮对话", "指令数据", "偏好数据", "奖励模型", "强化学习", "采样策略", "温度", "解码", "词表", "分词器",
    "预训练语料", "数据配比", "训练稳定性", "学习率", "损失曲线", "检查点", "分布式", "流水线并行",
    "张量并行", "数据并行", "通信开销", "缓存", "计算复杂度", "线性注意力", "稀疏注意力", "长文本",
    "检索增强", "知识库", "向量数据库", "工具调用", "智能体", "代码生成", "数学推理", "思维链", "幻觉问题",
    "安全对齐", "价值观", "多模态", "图像理解", "语音识别", "部署成本", "端侧设备", "推理框架", "算子融合",
]
VERBS = ["提出了", "改进了", "讨论了", "验证了", "比较了", "分析了", "优化了", "扩展了", "复现了", "解释了",
         "总结了", "开源了", "降低了", "提升了", "依赖于", "取决于", "影响了", "替代了"]
LATIN = ["Transformer", "token", "batch size", "KV cache", "LoRA", "RoPE", "vLLM", "PyTorch", "CUDA",
         "benchmark", "baseline", "pipeline", "checkpoint", "fp16", "int4", "GPTQ", "AWQ", "SFT", "RLHF",
         "DPO", "MoE", "FlashAttention", "PagedAttention", "Megatron", "DeepSpeed", "HF transformers"]
PUNCT = ["，", "，", "，", "；", "、"]
ENDS = ["。", "。", "。", "？", "！"]
LABELS = ["动机", "方法", "优势", "结论", "局限"]
MATH = [r"$f(x) = a_0x^0 + \dots + a_nx^n$", r"$O(n \log n)$", r"$O(n^2)$",
        r"$\theta_i = b^{-2i/d}$", r"$b' = b \cdot s^{d/(d-2)}$", r"$\mathrm{softmax}(QK^T/\sqrt{d})V$",
        r"$a_1b_0 + a_0b_1$", r"$\sum_{i=1}^{n} x_i^2$"]
HOSTS = ["https://github.com/{a}/{b}", "https://huggingface.co/{a}/{b}", "https://zhuanlan.zhihu.com/p/{n}",
         "https://mp.weixin.qq.com/s/{s}", "https://spaces.ac.cn/archives/{n4}", "https://arxiv.org/abs/{arxiv}",
         "https://arxiv.org/pdf/{arxiv}.pdf", "https://www.reddit.com/r/LocalLLaMA/comments/{s}/",
         "https://hub.baai.ac.cn/view/{n4}", "https://www.bilibili.com/video/BV1{bv}/"]
GH = ["InternLM", "THUDM", "lm-sys", "vllm-project", "huggingface", "RUCAIBox", "BlinkDL", "QwenLM",
      "baichuan-inc", "meta-llama", "mistralai", "deepseek-ai", "01-ai", "Skytliang", "openai", "ggerganov"]
REPOS = ["InternLM", "ChatGLM3", "FastChat", "vllm", "transformers", "LLMSurvey", "RWKV-LM", "Qwen",
         "Baichuan2", "llama", "mistral-src", "DeepSeek-LLM", "Yi", "Multi-Agents-Debate", "tiktoken", "llama.cpp"]
CODE = '''import torch


def ntk_base(base: float, scale: float, dim: int) -> float:
    """NTK-aware scaled RoPE: keep the highest frequency, slow the lowest by `scale`."""
    return base * scale ** (dim / (dim - 2))


def rope_frequencies(dim: int, base: float = 10000.0, device=None) -> torch.Tensor:
    return 1.0 / (base ** (torch.arange(0, dim, 2, device=device).float() / dim))


def rotary_cache(seq_len: int, dim: int, base: float, dtype=torch.float32):
    t = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.einsum("i,j->ij", t, rope_frequencies(dim, base))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


if __name__ == "__main__":
    for scale in (1, 2, 4, 8):
        cos, sin = rotary_cache(2048 * scale, 128, ntk_base(10000.0, scale, 128))
        print(scale, cos.shape, float(cos[-1, -1]))
'''


class Content:
    """Deterministic synthetic episode content (one random.Random for the whole corpus)."""

    def __init__(self, seed: int = SEED):
        self.r = random.Random(seed)
        # Zipf-like weights: a few people and topics recur in most episodes, most appear rarely
        self.people_w = [1 / (i + 1) for i in range(len(PEOPLE))]
        self.topic_w = [1 / (i + 1) ** 0.8 for i in range(len(TOPICS))]

    def sentence(self, lo: int = 2, hi: int = 5) -> str:
        r = self.r
        parts = []
        for i in range(r.randint(lo, hi)):
            clause = f"{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}"
            if r.random() < 0.35:
                clause += f" {r.choice(LATIN)} "
            if r.random() < 0.3:
                clause += f"的{r.choice(WORDS)}"
            parts.append(clause.strip())
        return "".join(p + (r.choice(PUNCT) if i < len(parts) - 1 else "") for i, p in enumerate(parts)) + r.choice(ENDS)

    def text(self, sentences: int) -> str:
        return "".join(self.sentence() for _ in range(sentences))

    def title(self) -> str:
        r = self.r
        forms = [lambda: f"{r.choice(LATIN)}：{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}",
                 lambda: f"{r.choice(WORDS)}的{r.choice(WORDS)}，{r.choice(LATIN)} 怎么做？",
                 lambda: f"{r.choice(GH)} 开源 {r.choice(REPOS)}：{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}",
                 lambda: f"{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}"]
        return r.choice(forms)()

    def url(self) -> str:
        r = self.r
        return r.choice(HOSTS).format(
            a=r.choice(GH), b=r.choice(REPOS), n=r.randint(600000000, 700000000), n4=r.randint(1000, 99999),
            s="".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(22)),
            arxiv=f"{r.randint(20, 24)}{r.randint(1, 12):02d}.{r.randint(1, 19999):05d}",
            bv="".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789") for _ in range(9)))

    def links(self, lo: int, hi: int) -> list:
        out: list = []
        for _ in range(self.r.randint(lo, hi)):
            url = self.url()
            out.append({"label": self.r.choice(["论文链接", "GitHub 项目链接", "原文", "解读", "知乎文章"]), "url": url}
                       if self.r.random() < 0.3 else url)
        return out

    def people(self, lo: int, hi: int) -> list[str]:
        k = self.r.randint(lo, hi)
        return sorted({p[0] for p in self.r.choices(PEOPLE, weights=self.people_w, k=k)})

    def person(self) -> str:
        return self.r.choices(PEOPLE, weights=self.people_w, k=1)[0][0]

    def tags(self, lo: int = 0, hi: int = 2) -> list[str]:
        k = self.r.randint(lo, hi)
        return list(dict.fromkeys(self.r.choices(TOPICS, weights=self.topic_w, k=k)))

    def item(self, links=(1, 1), summary=0.2, points=0, tags=(0, 2), by=0.15, source=0.0) -> dict:
        r = self.r
        out: dict = {"title": self.title()}
        if links[1]:
            ls = self.links(*links)
            if ls:
                out["links"] = ls
        if r.random() < summary:
            out["summary"] = self.text(1)
        if points:
            out["points"] = [{"label": LABELS[i], "text": self.text(2)} for i in range(points)]
        if r.random() < source:
            out["source"] = self.url()
        if r.random() < by:
            out["by"] = self.person()
        t = self.tags(*tags)
        if t:
            out["tags"] = t
        return out

    def answer(self, depth: int = 0) -> dict:
        r = self.r
        text = self.text(r.randint(1, 4))
        if r.random() < 0.5:
            text += f" 例如 {r.choice(MATH)}，以及 {r.choice(MATH)}。"
        out: dict = {"text": text}
        if r.random() < 0.3:
            out["by"] = self.person()
        if depth == 0 and r.random() < 0.25:
            out["answers"] = [self.answer(1)]
        return out

    def episode(self, number: int, date: dt.date) -> dict:
        r = self.r
        summary = list(dict.fromkeys(r.choices(TOPICS, weights=self.topic_w, k=9)))
        bv = "".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789") for _ in range(9))
        start = r.randint(0, 1800)
        return {
            "number": number,
            "date": date,
            "time": "21:00",
            "summary": summary,
            "crew": {"hosts": self.people(2, 2), "editors": self.people(1, 1), "section_owners": [],
                     "note": "请查看具体内容后面的署名，比如问题、回答和观点的来源"},
            "video": {"title": f"【OpenLLM Talk {number:03d}】" + "；".join(summary[:6]),
                      "url": f"https://www.bilibili.com/video/BV1{bv}/?share_source=copy_web", "start": f"{start // 60}:{start % 60:02d}"},
            "news": {
                "contributors": self.people(1, 2),
                "suggestions": [self.text(1)],
                "academic": [self.item(links=(0, 1), points=3, tags=(1, 1), source=1.0)],
                "projects": [self.item(links=(0, 1)) for _ in range(3)],
                "industry": [self.item(summary=0.25) for _ in range(4)],
            },
            "recommendations": {
                "contributors": self.people(1, 1), "nominations": [], "suggestions": [], "theme": None,
                "materials": [self.item(links=(1, 4), tags=(0, 3)) for _ in range(6)],
                "models": [self.item(summary=0.34) for _ in range(3)],
                "projects": [],
                "misc": [self.item(links=(0, 2)) for _ in range(2)],
                "refs": [],
            },
            "classics": {"contributors": [], "nominations": r.sample(TOPICS[:12], 2), "topic": None},
            "practice": {"contributors": [], "nominations": [], "suggestions": [self.text(1)],
                         "code": [{"language": "python", "title": self.title().replace('"', "'"), "code": CODE}]},
            "free_talk": {
                "contributors": self.people(1, 2),
                "online": [{"question": self.text(r.randint(1, 2)), **({"details": self.text(1)} if r.random() < 0.5 else {}),
                            **({"by": self.person()} if r.random() < 0.3 else {}),
                            "answers": [self.answer() for _ in range(r.randint(1, 2))],
                            **({"tags": self.tags(1, 1)} if r.random() < 0.4 else {})} for _ in range(2)],
                "group_note": "有空会同步，取决于人力，希望大家积极认领~",
                "group": [{"topic": self.title(), **({"body": self.text(r.randint(2, 6))} if r.random() < 0.5 else {}),
                           **({"links": self.links(1, 1)} if r.random() < 0.25 else {}),
                           **({"by": self.person()} if r.random() < 0.2 else {}),
                           **({"tags": self.tags(1, 1)} if r.random() < 0.6 else {})} for _ in range(4)],
            },
            "references": [self.item(links=(1, 1), tags=(0, 0), by=0)],
            "plans": [{"item": self.title(), **({"priority": r.choice(["P0", "P1", "P2"])} if r.random() < 0.8 else {})}
                      for _ in range(6)],
        }


def episode_yaml(data: dict) -> str:
    head = "# yaml-language-server: $schema=../schema/episode.schema.json\n# Synthetic episode (benchmarks/build_scale.py)\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def people_yaml() -> str:
    return "".join(f"{pid}:\n  name: {json.dumps(name, ensure_ascii=False)}\n" for pid, name in PEOPLE)


# --- project copies -------------------------------------------------------------------------------

def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    keep = ("mkdocs.yml", "series.yml", "data/", "templates/", "docs/", "images/", "overrides/")  # images/: what series.yml shows
    return [f for f in out if f and f.startswith(keep)]


def make_project(base: Path, n: int) -> Path:
    """A copy of the project with n synthetic episodes in talks/ (and no generated files in docs/)."""
    proj = base / "talkbase"
    for rel in tracked_files():
        src = ROOT / rel
        if src.is_file():  # a tracked file another engineer is deleting right now is skipped
            (proj / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, proj / rel)
    (proj / "notebooks").mkdir(exist_ok=True)  # synthetic episodes reference no notebook
    (proj / "data" / "people.yml").write_text(people_yaml(), encoding="utf-8")
    cfg = (proj / "mkdocs.yml").read_text(encoding="utf-8")
    if not re.search(r"^site_url:", cfg, re.M):
        cfg = f"site_url: {SITE_URL}\n" + cfg
    (proj / "mkdocs.yml").write_text(cfg, encoding="utf-8")
    talks = proj / "talks"
    talks.mkdir(parents=True, exist_ok=True)
    content = Content()
    day = dt.date(2023, 6, 10)  # the series' first Saturday
    for number in range(1, n + 1):
        (talks / f"{number:03d}.yaml").write_text(episode_yaml(content.episode(number, day)), encoding="utf-8")
        day += dt.timedelta(days=7)
    return proj


BASELINE_YML = """\
site_name: OpenLLM Talk (naive baseline)
site_url: {site_url}
docs_dir: docs
site_dir: site
theme:
  name: material
  language: zh
plugins:
  - search
markdown_extensions:
{extensions}
"""


def make_baseline(base: Path, proj: Path) -> Path:
    """The same pages as plain Markdown, every page in the (automatic) nav, default material + zh search."""
    code = f"""
import json, sys
from pathlib import Path
from talkbase.project import Layout, load_project
from talkbase.render import Renderer, SiteOptions
layout = Layout.at(Path({str(proj)!r}))
pages = Renderer(load_project(layout), SiteOptions(site_url={SITE_URL!r})).pages()
out = Path({str(base / 'baseline' / 'docs')!r})
for rel, data in pages.items():
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode('utf-8') if isinstance(data, str) else data)
print(len(pages))
"""
    dest = base / "baseline"
    (dest / "docs").mkdir(parents=True)
    for rel in tracked_files():  # hand-written pages and assets too
        if rel.startswith("docs/") and (proj / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(proj / rel, dest / rel)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env())
    # the project's Markdown extensions, so the content renders the same; nothing else of its config
    extensions = "\n".join("  " + line for line in _extensions_text(proj).splitlines())
    (dest / "mkdocs.yml").write_text(BASELINE_YML.format(site_url=SITE_URL, extensions=extensions), encoding="utf-8")
    return dest


def _extensions_text(proj: Path) -> str:
    """The markdown_extensions block of the project's mkdocs.yml, copied verbatim (keeps !!python tags)."""
    text = (proj / "mkdocs.yml").read_text(encoding="utf-8")
    m = re.search(r"^markdown_extensions:\n((?:[ \t]+.*\n|\n)+)", text, re.M)
    if not m:
        return "- toc"
    lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    return "\n".join(ln[indent:] for ln in lines)


# --- measuring ------------------------------------------------------------------------------------

def env(cache: Path | str = "off") -> dict[str, str]:
    """talkbase's cache on disk (cache.py) is off unless a run names its folder: cold figures stay cold.
    Python keeps compiled modules as it does on a user's machine, even where the shell turned that off."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**base, "NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": "0", "TALKBASE_CACHE": str(cache)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tree_pss_mb(pid: int) -> float:
    """Memory of a process and all its descendants (talkbase's helper processes), each shared page counted
    once in all: the sum of their proportional set sizes (Linux /proc; 0 where it cannot be read)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError, StopIteration):  # gone meanwhile, or no such file on this system
            pass
    return total / 1024


def timed(cmd: list[str], cwd: Path, timeout: float = 1800, cache: Path | str = "off") -> dict:
    """Run cmd in a fresh process; wall seconds, peak RSS (MB) of its largest process, peak memory of the
    whole process tree (sampled twice a second), exit status, output tail."""
    out = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env(cache))
    deadline, sampled, tree_peak = start + timeout, 0.0, 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        if time.perf_counter() - sampled >= 0.5:
            tree_peak, sampled = max(tree_peak, tree_pss_mb(proc.pid)), time.perf_counter()
        time.sleep(0.02)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    return {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024, "tree_mb": tree_peak, "rc": proc.returncode,
            "cpu_s": usage.ru_utime + usage.ru_stime, "output": text}


GEN_CODE = """
import json, sys, time, tempfile, shutil
from pathlib import Path
t0 = time.perf_counter()
from talkbase.generate import render_all
from talkbase.project import Layout, collector_paused, load_project
from talkbase.render import SiteOptions
from talkbase.write import write_tree
t1 = time.perf_counter()
proj = Path(sys.argv[1])
layout = Layout.at(proj)
with collector_paused(keep=True):  # as the plugin runs the generator
    project = load_project(layout)
    t2 = time.perf_counter()
    pages = render_all(project, SiteOptions(site_url=sys.argv[2]))  # what `talkbase build` renders, feeds included
    t3 = time.perf_counter()
docs = Path(tempfile.mkdtemp())
write_tree(docs, pages)
t4 = time.perf_counter()
shutil.rmtree(docs)
size = sum(len(v.encode() if isinstance(v, str) else v) for v in pages.values())
print(json.dumps({"import_s": t1 - t0, "load_validate_s": t2 - t1, "render_s": t3 - t2, "write_s": t4 - t3,
                  "pages": len(pages), "markdown_mb": size / 2**20,
                  "episode_md_kb": sum(len(v.encode()) for k, v in pages.items() if k.startswith("talks/") and k != "talks/index.md") / max(1, len(project.sources)) / 1024}))
"""


def generator_only(proj: Path, cache: Path) -> dict:
    res = timed([sys.executable, "-c", GEN_CODE, str(proj), SITE_URL], cwd=proj, cache=cache)
    if res["rc"] != 0:
        raise RuntimeError(f"generator run failed:\n{res['output'][-3000:]}")
    data = json.loads(res["output"].strip().splitlines()[-1])
    data["rss_mb"] = res["rss_mb"]
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def serve_latency(proj: Path, episode: int, timeout: float, full: bool = False, cache: Path | str = "off") -> dict:
    """Start a live-reload server, edit one episode's YAML, poll the served page until the edit shows."""
    port = free_port()
    cmd = [str(BIN / "talkbase"), "serve", "-p", str(port)] + (["--full"] if full else [])
    lines: list[tuple[float, str]] = []
    proc = subprocess.Popen(cmd, cwd=proj, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env(cache),
                            start_new_session=True)

    def reader() -> None:
        assert proc.stdout
        for raw in proc.stdout:
            lines.append((time.perf_counter(), raw.decode("utf-8", "replace").rstrip()))

    threading.Thread(target=reader, daemon=True).start()
    url = f"http://127.0.0.1:{port}/talks/{episode:03d}/"
    result: dict = {"command": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))}
    try:
        started = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(l for _, l in lines[-30:]))
            if time.perf_counter() - started > timeout:
                raise RuntimeError("server did not come up in time")
            page = fetch(url)
            if page is not None:
                break
            time.sleep(0.25)
        result["startup_s"] = time.perf_counter() - started
        time.sleep(2.0)  # let the watcher settle (the first build's writes into docs/ must not count)
        builds_before = sum("Documentation built" in l for _, l in lines)
        path = proj / "talks" / f"{episode:03d}.yaml"
        text = path.read_text(encoding="utf-8")
        marker = f"EDITMARKER{int(time.time() * 1000)}"
        new = re.sub(r"(\n *- title: )(.*)", lambda m: m.group(1) + json.dumps(marker), text, count=1)
        assert new != text, "no item title to edit"
        edit_at = time.perf_counter()
        path.write_text(new, encoding="utf-8")
        while True:
            page = fetch(url)
            if page and marker in page:
                break
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(l for _, l in lines[-30:]))
            if time.perf_counter() - edit_at > timeout:
                raise RuntimeError("edit never showed:\n" + "\n".join(l for _, l in lines[-30:]))
            time.sleep(0.05)
        result["edit_visible_s"] = time.perf_counter() - edit_at
        # keep watching: a rebuild triggered by the generator's own writes into docs/ is extra work
        quiet = max(5.0, result["edit_visible_s"] * 1.5)
        last = time.perf_counter()
        seen = len(lines)
        while time.perf_counter() - last < quiet:
            time.sleep(0.2)
            if len(lines) != seen:
                seen, last = len(lines), time.perf_counter()
        after = [(t - edit_at, l) for t, l in lines if t >= edit_at]
        result["rebuilds_after_edit"] = sum("Documentation built" in l for _, l in after)
        result["rebuild_times_s"] = [float(m.group(1)) for _, l in after if (m := re.search(r"Documentation built in ([\d.]+) seconds", l))]
        result["settled_s"] = max((t for t, l in after if "Documentation built" in l), default=None)
        result["builds_before_edit"] = builds_before
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return result


STAGE_CODE = r"""
import json, sys, time, functools, logging
from collections import defaultdict
T = defaultdict(float)
C = defaultdict(int)

def wrap(owner, name, label, consume=False):
    orig = getattr(owner, name)
    @functools.wraps(orig)
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            out = orig(*a, **k)
            if consume:
                out = list(out)
            return out
        finally:
            T[label] += time.perf_counter() - t
            C[label] += 1
    setattr(owner, name, timed)

t0 = time.perf_counter()
import jieba, mkdocs.commands.build as B, mkdocs.structure.pages as P, mkdocs.structure.files as F, mkdocs.utils as U
import material.plugins.search.plugin as S
import talkbase.plugin as TP, talkbase.generate as G
T["import"] = time.perf_counter() - t0
wrap(TP.TalkbasePlugin, "on_config", "1 talkbase generate (plugin on_config)")
wrap(G, "load_project", "1a   load + validate episodes")
wrap(G, "render_all", "1b   render Markdown (episodes, topics, people, papers, feeds)")
wrap(G.Renderer, "episode_page", "1b1    episode pages (rendered in this process)")
wrap(G.Renderer, "topic_page", "1b2    topic pages (rendered in this process)")
wrap(G.Renderer, "person_page", "1b3    people pages (rendered in this process)")
wrap(G, "write_tree", "1c   write changed files into docs/")
wrap(S.SearchPlugin, "on_config", "2 search on_config (jieba user dict, model load)")
wrap(B, "get_files", "3 mkdocs scan docs/ (get_files)")
wrap(B, "get_navigation", "4 mkdocs navigation")
wrap(B, "_populate_page", "5 mkdocs read + Markdown->HTML (_populate_page)")
wrap(P.Page, "render", "5a   Markdown convert (python-markdown + extensions; pages converted in this process)")
wrap(TP.TalkbasePlugin, "on_page_content", "5b   talkbase on_page_content (MathML + sanitize)")
wrap(F.Files, "copy_static_files", "6 copy static files")
wrap(B, "_build_theme_template", "7 theme templates (sitemap.xml, 404, ...)")
wrap(B, "_build_page", "8 mkdocs build pages (_build_page: context, theme, write)")
wrap(B, "get_context", "8a   page context (nav)")
wrap(S.SearchPlugin, "on_page_context", "8b   search: index page (HTML parse + jieba)")
wrap(S.SearchIndex, "_segment_chinese", "8b1      jieba segmentation (_segment_chinese)")
wrap(U, "write_file", "8c   write_file (all HTML/index writes)")
wrap(P.Page, "validate_anchor_links", "9 anchor validation")
wrap(S.SearchPlugin, "on_post_build", "10 search index JSON (on_post_build)")
wrap(jieba.Tokenizer, "initialize", "jieba dictionary load (initialize)")
from mkdocs.__main__ import cli
t1 = time.perf_counter()
try:
    cli(["build", "-q"], standalone_mode=False)
finally:
    T["build total"] = time.perf_counter() - t1
    t8 = T.get("8 mkdocs build pages (_build_page: context, theme, write)", 0)
    T["8d   theme template render (rest of _build_page)"] = t8 - sum(T.get(k, 0) for k in T if k.startswith(("8a", "8b ", "8c")))
    print("STAGES " + json.dumps({k: [round(v, 3), C.get(k, 0)] for k, v in sorted(T.items())}))
"""


def profile_build(proj: Path, out_dir: Path | None, n: int) -> dict:
    """Time the stages of one `mkdocs build` (fresh process, wrappers on the main functions)."""
    shutil.rmtree(proj / "site", ignore_errors=True)
    res = timed([sys.executable, "-c", STAGE_CODE], cwd=proj)
    line = next((l for l in res["output"].splitlines() if l.startswith("STAGES ")), None)
    if res["rc"] != 0 or line is None:
        raise RuntimeError(f"stage-timed build failed:\n{res['output'][-3000:]}")
    out: dict = {"wall_s": round(res["wall_s"], 2), "stages_s": {k: v[0] for k, v in json.loads(line[7:]).items()}}
    if out_dir is not None:  # cProfile for drill-down (several times slower than the real build)
        out_dir.mkdir(parents=True, exist_ok=True)
        prof = out_dir / f"talkbase-build-{n}.prof"
        shutil.rmtree(proj / "site", ignore_errors=True)
        res = timed([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "mkdocs", "build", "-q"], cwd=proj)
        if res["rc"] != 0:
            raise RuntimeError(f"profiled build failed:\n{res['output'][-3000:]}")
        out["cprofile"] = {"file": str(prof), "wall_s": round(res["wall_s"], 2), "top": summarize_profile(prof)}
    return out


def summarize_profile(prof: Path, count: int = 25) -> list[str]:
    """The functions with most own time (tottime), as 'seconds file:function'."""
    import pstats
    stats = pstats.Stats(str(prof))
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:count]
    return [f"{v[2]:.2f}s {Path(k[0]).parent.name}/{Path(k[0]).name}:{k[2]}" for k, v in top]


def plot(rows: list[dict], out: Path) -> None:
    """Build time against N for talkbase and the naive baseline (and the generator alone), as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["n"])
    ns = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(ns, [r["talkbase_s"] for r in rows], "o-", label="talkbase build")
    based = [r for r in rows if "baseline_s" in r]
    if based:
        ax.plot([r["n"] for r in based], [r["baseline_s"] for r in based], "s--", label="naive mkdocs-material (baseline)")
        ax.plot([r["n"] for r in based], [r["baseline_s"] / 2 for r in based], ":", color="grey", label="target: half the baseline")
    ax.plot(ns, [r["generator_s"] for r in rows], "^-", label="generator alone (load, validate, render)")
    for r in rows:
        if "ratio" in r:
            ax.annotate(f"{r['ratio']:.2f}x", (r["n"], r["talkbase_s"]), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("episodes (N)")
    ax.set_ylabel("wall time (s)")
    ax.set_title("Build time against the number of episodes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    log(f"plot written to {out}")


# --- driver ---------------------------------------------------------------------------------------

def search_index_mb(site: Path) -> float:
    """What a reader's browser downloads, and indexes, before its first search answers."""
    return round((site / "search/search_index.json").stat().st_size / 2**20, 1)


def run_one(n: int, args: argparse.Namespace) -> dict:
    row: dict = {"n": n}
    with tempfile.TemporaryDirectory(prefix=f"talkbase-scale-{n}-") as tmp:
        base = Path(tmp)
        log(f"N={n}: generating {n} synthetic episodes")
        proj = make_project(base, n)
        row["yaml_kb_per_episode"] = round(sum(p.stat().st_size for p in (proj / "talks").glob("*.yaml")) / n / 1024, 2)

        log(f"N={n}: generator only (load+validate, render, write), empty cache, then again")
        gen = generator_only(proj, base / "cache-generator")
        row["generator_s"] = round(gen["load_validate_s"] + gen["render_s"], 3)
        row["generator"] = {k: round(v, 3) for k, v in gen.items()}
        warm = generator_only(proj, base / "cache-generator")
        row["generator_warm_s"] = round(warm["load_validate_s"] + warm["render_s"], 3)
        row["generator_warm"] = {k: round(v, 3) for k, v in warm.items()}

        log(f"N={n}: talkbase validate, empty cache, then again")
        val = timed([str(BIN / "talkbase"), "validate"], cwd=proj, cache=base / "cache-validate")
        if val["rc"] != 0:
            raise RuntimeError(f"synthetic episodes do not validate:\n{val['output'][-3000:]}")
        row["validate_s"] = round(val["wall_s"], 3)
        row["validate_warm_s"] = round(timed([str(BIN / "talkbase"), "validate"], cwd=proj, cache=base / "cache-validate")["wall_s"], 3)

        log(f"N={n}: talkbase build (fresh process, empty cache)")
        cache = base / "cache-build"
        tb = timed([str(BIN / "talkbase"), "build"], cwd=proj, cache=cache)
        if tb["rc"] != 0:
            raise RuntimeError(f"talkbase build failed:\n{tb['output'][-3000:]}")
        row["talkbase_s"] = round(tb["wall_s"], 2)
        row["talkbase_cpu_s"] = round(tb["cpu_s"], 2)
        row["talkbase_peak_mb"] = round(tb["rss_mb"], 1)
        row["talkbase_tree_mb"] = round(tb["tree_mb"], 1)
        row["per_episode_ms"] = round(tb["wall_s"] / n * 1000, 1)
        row["site_mb"] = round(sum(f.stat().st_size for f in (proj / "site").rglob("*") if f.is_file()) / 2**20, 1)
        row["search_index_mb"] = search_index_mb(proj / "site")
        if args.rebuild:
            log(f"N={n}: talkbase build again (docs/ unchanged, cache filled)")
            again = timed([str(BIN / "talkbase"), "build"], cwd=proj, cache=cache)
            row["talkbase_rebuild_s"] = round(again["wall_s"], 2)

        if not args.skip_baseline:
            log(f"N={n}: naive baseline (plain Markdown, every page in nav, zh search)")
            bl_proj = make_baseline(base, proj)
            bl = timed([str(BIN / "mkdocs"), "build", "-q"], cwd=bl_proj)
            if bl["rc"] != 0:
                raise RuntimeError(f"baseline build failed:\n{bl['output'][-3000:]}")
            row["baseline_s"] = round(bl["wall_s"], 2)
            row["baseline_cpu_s"] = round(bl["cpu_s"], 2)
            row["baseline_peak_mb"] = round(bl["rss_mb"], 1)
            row["baseline_search_index_mb"] = search_index_mb(bl_proj / "site")
            row["ratio"] = round(tb["wall_s"] / bl["wall_s"], 3)
            row["ratio_cpu"] = round(tb["cpu_s"] / bl["cpu_s"], 3)
            shutil.rmtree(bl_proj, ignore_errors=True)

        if not args.skip_serve and n in args.serve_at:
            log(f"N={n}: serve edit latency (talkbase serve)")
            try:
                row["serve"] = serve_latency(proj, max(1, n // 2), timeout=max(300, tb["wall_s"] * 6), cache=cache)
                row["serve_edit_s"] = round(row["serve"]["edit_visible_s"], 2)
                row["serve_edit_ratio"] = round(row["serve"]["edit_visible_s"] / tb["wall_s"], 3)
            except Exception as err:  # report, keep going
                row["serve_error"] = str(err)[-2000:]
            if args.serve_full:
                log(f"N={n}: serve edit latency (talkbase serve --full)")
                try:
                    row["serve_full"] = serve_latency(proj, max(1, n // 2) + 1, timeout=max(300, tb["wall_s"] * 6), full=True,
                                                      cache=cache)
                    row["serve_full_edit_s"] = round(row["serve_full"]["edit_visible_s"], 2)
                    row["serve_full_edit_ratio"] = round(row["serve_full"]["edit_visible_s"] / tb["wall_s"], 3)
                except Exception as err:
                    row["serve_full_error"] = str(err)[-2000:]

        if (args.stages or args.cprofile) and n in args.stages_at:
            log(f"N={n}: stage timing of a build" + (" and cProfile" if args.cprofile else ""))
            row["stages"] = profile_build(proj, Path(args.cprofile) if args.cprofile else None, n)

    row["targets"] = {
        "ratio<=0.5": row.get("ratio", None) is not None and row["ratio"] <= 0.5 if "ratio" in row else None,
        "generator<=3s": row["generator_s"] <= 3.0,
        "generator_warm<=3s": row["generator_warm_s"] <= 3.0,
        "validate<=3s": row["validate_s"] <= 3.0,
        "validate_warm<=3s": row["validate_warm_s"] <= 3.0,
        "peak<=1GB": max(row["talkbase_peak_mb"], row["talkbase_tree_mb"]) <= 1024,
        "serve_edit<=10%": (row["serve_edit_ratio"] <= 0.10) if "serve_edit_ratio" in row else None,
    }
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", default="100,500,1000", help="comma-separated episode counts (default 100,500,1000)")
    p.add_argument("--quick", action="store_true", help="N=50,100: a run of about a minute or two")
    p.add_argument("--skip-baseline", action="store_true", help="do not build the naive mkdocs-material baseline")
    p.add_argument("--skip-serve", action="store_true", help="do not measure the serve edit latency")
    p.add_argument("--serve-at", metavar="N,...", help="measure the serve edit latency at these N only (default: the largest N)")
    p.add_argument("--stages-at", metavar="N,...", help="with --stages: time the stages at these N only (default: every N)")
    p.add_argument("--serve-full", action="store_true", help="also measure `talkbase serve --full` (every page rebuilt)")
    p.add_argument("--rebuild", action="store_true", help="also time a second talkbase build with docs/ unchanged")
    p.add_argument("--stages", action="store_true", help="also time the stages of a (warm) build in a fresh process")
    p.add_argument("--cprofile", metavar="DIR", help="with --stages: also run the build under cProfile, .prof files into DIR")
    p.add_argument("--json-out", metavar="FILE", help="append the JSON lines to FILE as well")
    p.add_argument("--plot", metavar="PNG", help="plot build time against N (talkbase, baseline, generator) into PNG")
    p.add_argument("--from-json", metavar="FILE", help="measure nothing: read the JSON lines of an earlier run (for --plot)")
    args = p.parse_args()
    if args.from_json:
        rows = [json.loads(line) for line in Path(args.from_json).read_text(encoding="utf-8").splitlines() if line.strip()]
        if args.plot:
            plot(rows, Path(args.plot))
        return
    counts = [50, 100] if args.quick else [int(x) for x in args.episodes.split(",") if x.strip()]
    args.serve_at = {int(x) for x in args.serve_at.split(",")} if args.serve_at else {max(counts)}
    args.stages_at = {int(x) for x in args.stages_at.split(",")} if args.stages_at else set(counts)
    rows = []
    for n in counts:
        row = run_one(n, args)
        rows.append(row)
        line = json.dumps(row, ensure_ascii=False)
        print(line, flush=True)
        if args.json_out:
            with open(args.json_out, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        log(f"N={n}: talkbase {row['talkbase_s']}s, baseline {row.get('baseline_s')}s, ratio {row.get('ratio')}, "
            f"generator {row['generator_s']}s ({row['generator_warm_s']}s cached), validate {row['validate_s']}s "
            f"({row['validate_warm_s']}s cached), peak {row['talkbase_peak_mb']} MB, "
            f"serve edit {row.get('serve_edit_s')}s")
    if len(rows) > 1:
        per = {r["n"]: r["per_episode_ms"] for r in rows}
        log(f"time per episode (ms) by N: {per}")
    if args.plot:
        plot(rows, Path(args.plot))


if __name__ == "__main__":
    main()
