"""The synthetic episodes every benchmark builds: shaped like the seed episode talks/003.yaml, from a fixed seed.

Same sections and about the same size (12 KB of YAML), Chinese prose, links of every kind the site recognises,
inline math, questions with nested answers, a code block, topics and people from fixed pools (a few frequent,
many rare). Imported by the process that writes the project; nothing here imports talkbase.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import yaml

SEED = 20230708
FIRST_DAY = dt.date(2023, 6, 10)  # the series' first Saturday

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
    "RoPE", "rope", "NTK-Aware Scaled RoPE", "位置编码", "vLLM", "vllm 讨论", "长上下文", "10 亿上下文", "LLM 综述",
    "量化", "quantization", "LoRA", "lora", "GLM", "chatglm", "InternLM", "书生", "文心盘古", "文心一言", "RLHF",
    "rlhf", "SuperCLUE-Open", "chatlaw", "架构", "MoE", "DPO", "PPO", "指令微调", "数据清洗", "评测", "Agent", "RAG",
    "向量检索", "多模态", "CLIP", "扩散模型", "Mamba", "状态空间模型", "FlashAttention", "KV cache", "投机解码",
    "推理加速", "分布式训练", "DeepSpeed", "Megatron", "ZeRO", "Tokenizer", "BBPE", "SentencePiece", "蒸馏", "剪枝",
    "幻觉", "对齐", "安全", "红队测试", "代码模型", "数学推理", "思维链", "工具调用", "函数调用", "长文本评测", "Qwen",
    "LLaMA", "Mistral", "百川", "ChatGLM3", "Yi", "DeepSeek", "Gemini", "GPT-4", "Claude", "开源协议", "算力",
    "国产芯片", "端侧模型", "语音", "视频生成", "世界模型", "具身智能", "合成数据", "预训练数据", "Scaling Law",
    "涌现能力",
]
WORDS = [  # fragments of the seed's kind of prose, recombined into sentences
    "大语言模型", "上下文长度", "注意力机制", "位置编码", "旋转位置编码", "外推能力", "插值", "微调", "全量微调",
    "参数高效微调", "显存", "推理速度", "吞吐量", "批大小", "量化", "评测基准", "开源社区", "中文能力", "多轮对话",
    "指令数据", "偏好数据", "奖励模型", "强化学习", "采样策略", "温度", "解码", "词表", "分词器", "预训练语料",
    "数据配比", "训练稳定性", "学习率", "损失曲线", "检查点", "分布式", "流水线并行", "张量并行", "数据并行",
    "通信开销", "缓存", "计算复杂度", "线性注意力", "稀疏注意力", "长文本", "检索增强", "知识库", "向量数据库",
    "工具调用", "智能体", "代码生成", "数学推理", "思维链", "幻觉问题", "安全对齐", "价值观", "多模态", "图像理解",
    "语音识别", "部署成本", "端侧设备", "推理框架", "算子融合",
]
VERBS = [
    "提出了", "改进了", "讨论了", "验证了", "比较了", "分析了", "优化了", "扩展了", "复现了", "解释了", "总结了",
    "开源了", "降低了", "提升了", "依赖于", "取决于", "影响了", "替代了",
]
LATIN = [
    "Transformer", "token", "batch size", "KV cache", "LoRA", "RoPE", "vLLM", "PyTorch", "CUDA", "benchmark",
    "baseline", "pipeline", "checkpoint", "fp16", "int4", "GPTQ", "AWQ", "SFT", "RLHF", "DPO", "MoE", "FlashAttention",
    "PagedAttention", "Megatron", "DeepSpeed", "HF transformers",
]
PUNCT = ["，", "，", "，", "；", "、"]
ENDS = ["。", "。", "。", "？", "！"]
LABELS = ["动机", "方法", "优势", "结论", "局限"]
MATH = [
    r"$f(x) = a_0x^0 + \dots + a_nx^n$", r"$O(n \log n)$", r"$O(n^2)$", r"$\theta_i = b^{-2i/d}$",
    r"$b' = b \cdot s^{d/(d-2)}$", r"$\mathrm{softmax}(QK^T/\sqrt{d})V$", r"$a_1b_0 + a_0b_1$",
    r"$\sum_{i=1}^{n} x_i^2$",
]
HOSTS = [
    "https://github.com/{a}/{b}", "https://huggingface.co/{a}/{b}", "https://zhuanlan.zhihu.com/p/{n}",
    "https://mp.weixin.qq.com/s/{s}", "https://spaces.ac.cn/archives/{n4}", "https://arxiv.org/abs/{arxiv}",
    "https://arxiv.org/pdf/{arxiv}.pdf", "https://www.reddit.com/r/LocalLLaMA/comments/{s}/",
    "https://hub.baai.ac.cn/view/{n4}", "https://www.bilibili.com/video/BV1{bv}/",
]
GH = [
    "InternLM", "THUDM", "lm-sys", "vllm-project", "huggingface", "RUCAIBox", "BlinkDL", "QwenLM", "baichuan-inc",
    "meta-llama", "mistralai", "deepseek-ai", "01-ai", "Skytliang", "openai", "ggerganov",
]
REPOS = [
    "InternLM", "ChatGLM3", "FastChat", "vllm", "transformers", "LLMSurvey", "RWKV-LM", "Qwen", "Baichuan2", "llama",
    "mistral-src", "DeepSeek-LLM", "Yi", "Multi-Agents-Debate", "tiktoken", "llama.cpp",
]
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
        """A sentence of clauses like the seed's: Chinese terms, verbs, now and then a Latin term."""
        r = self.r
        parts = []
        for i in range(r.randint(lo, hi)):
            clause = f"{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}"
            if r.random() < 0.35:
                clause += f" {r.choice(LATIN)} "
            if r.random() < 0.3:
                clause += f"的{r.choice(WORDS)}"
            parts.append(clause.strip())
        return ("".join(p + (r.choice(PUNCT) if i < len(parts) - 1 else "") for i, p in enumerate(parts))
                + r.choice(ENDS))

    def text(self, sentences: int) -> str:
        """A paragraph of that many sentences."""
        return "".join(self.sentence() for _ in range(sentences))

    def title(self) -> str:
        """An item title in one of the seed's four forms."""
        r = self.r
        forms = [lambda: f"{r.choice(LATIN)}：{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}",
                 lambda: f"{r.choice(WORDS)}的{r.choice(WORDS)}，{r.choice(LATIN)} 怎么做？",
                 lambda: (f"{r.choice(GH)} 开源 {r.choice(REPOS)}："
                          f"{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}"),
                 lambda: f"{r.choice(WORDS)}{r.choice(VERBS)}{r.choice(WORDS)}"]
        return r.choice(forms)()

    def url(self) -> str:
        """A link to one of the hosts the site recognises (arXiv, GitHub, bilibili, ...)."""
        r = self.r
        return r.choice(HOSTS).format(
            a=r.choice(GH), b=r.choice(REPOS), n=r.randint(600000000, 700000000), n4=r.randint(1000, 99999),
            s="".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(22)),
            arxiv=f"{r.randint(20, 24)}{r.randint(1, 12):02d}.{r.randint(1, 19999):05d}",
            bv="".join(r.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789") for _ in range(9)))

    def links(self, lo: int, hi: int) -> list:
        """Between lo and hi links, some of them labelled."""
        out: list = []
        for _ in range(self.r.randint(lo, hi)):
            url = self.url()
            out.append({"label": self.r.choice(["论文链接", "GitHub 项目链接", "原文", "解读", "知乎文章"]), "url": url}
                       if self.r.random() < 0.3 else url)
        return out

    def people(self, lo: int, hi: int) -> list[str]:
        """Between lo and hi distinct person ids, the frequent ones most often."""
        k = self.r.randint(lo, hi)
        return sorted({p[0] for p in self.r.choices(PEOPLE, weights=self.people_w, k=k)})

    def person(self) -> str:
        """One person id, the frequent ones most often."""
        return self.r.choices(PEOPLE, weights=self.people_w, k=1)[0][0]

    def tags(self, lo: int = 0, hi: int = 2) -> list[str]:
        """Between lo and hi topics (fewer when a draw repeats), the frequent ones most often."""
        k = self.r.randint(lo, hi)
        return list(dict.fromkeys(self.r.choices(TOPICS, weights=self.topic_w, k=k)))

    def item(self, links=(1, 1), summary=0.2, points=0, tags=(0, 2), by=0.15, source=0.0) -> dict:
        """A news or recommendation item; the arguments are the odds and counts of its optional parts."""
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
        """An answer to a question, sometimes with math and, at the top level, a nested answer."""
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
        """Episode `number` on `date`, with every section the seed episode has."""
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
                      "url": f"https://www.bilibili.com/video/BV1{bv}/?share_source=copy_web",
                      "start": f"{start // 60}:{start % 60:02d}"},
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
                "online": [{"question": self.text(r.randint(1, 2)),
                            **({"details": self.text(1)} if r.random() < 0.5 else {}),
                            **({"by": self.person()} if r.random() < 0.3 else {}),
                            "answers": [self.answer() for _ in range(r.randint(1, 2))],
                            **({"tags": self.tags(1, 1)} if r.random() < 0.4 else {})} for _ in range(2)],
                "group_note": "有空会同步，取决于人力，希望大家积极认领~",
                "group": [{"topic": self.title(),
                           **({"body": self.text(r.randint(2, 6))} if r.random() < 0.5 else {}),
                           **({"links": self.links(1, 1)} if r.random() < 0.25 else {}),
                           **({"by": self.person()} if r.random() < 0.2 else {}),
                           **({"tags": self.tags(1, 1)} if r.random() < 0.6 else {})} for _ in range(4)],
            },
            "references": [self.item(links=(1, 1), tags=(0, 0), by=0)],
            "plans": [{"item": self.title(), **({"priority": r.choice(["P0", "P1", "P2"])} if r.random() < 0.8 else {})}
                      for _ in range(6)],
        }


def episode_yaml(data: dict) -> str:
    """An episode as its YAML file: the schema comment the real files carry, then the data in source order."""
    head = ("# yaml-language-server: $schema=../schema/episode.schema.json\n"
            "# Synthetic episode (benchmarks/content.py)\n")
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def people_yaml() -> str:
    """data/people.yml naming every person of the pool, so that every id an episode uses is valid."""
    return "".join(f"{pid}:\n  name: {json.dumps(name, ensure_ascii=False)}\n" for pid, name in PEOPLE)


def write_episodes(talks: Path, n: int) -> None:
    """Episodes 001..n into `talks`, a week apart from the series' first Saturday: the same files on every run."""
    talks.mkdir(parents=True, exist_ok=True)
    content = Content()
    day = FIRST_DAY
    for number in range(1, n + 1):
        (talks / f"{number:03d}.yaml").write_text(episode_yaml(content.episode(number, day)), encoding="utf-8")
        day += dt.timedelta(days=7)
