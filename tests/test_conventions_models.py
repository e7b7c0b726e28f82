"""Whole models under the torchvision convention give torchvision's published GFLOPS
(its weight metadata `_ops`, MACs / 1e9 rounded to 3 decimals) and ``num_params``.

Built in memory (tests/models.py) at 1×3×224×224; BERT-base at 1×128. Every figure is
derived by hand below; the published value is then checked to be its rounding.
"""

from __future__ import annotations

import pytest

import onnx_cost
from onnx_cost.views import conventions

from models import bert_base, convnext_tiny, efficientnet_b0, mobilenet_v2, resnet, vgg16, vit_b_16

# ResNet-18 (tests/test_models_reference.py derives it layer by layer): convs 1,813,561,344
# + fc 512·1,000 = 1,814,073,344 MACs. Params: 11,166,912 conv + 2·4,800 BN + 513,000 fc
# = 11,689,512 learnable; the file adds BN's running mean and var: + 2·4,800 = 11,699,112.
RESNET18 = 1_814_073_344
RESNET18_PARAMS = 11_689_512

# ResNet-50 v1.5: 4,089,184,256 MACs (derived in tests/test_models_reference.py for the
# zoo model, which is the same network). Params (torchvision num_params 25,557,032):
#   stem conv 3·64·49 = 9,408, its BN 2·64 = 128.
#   A bottleneck of width w from cin: 1×1 cin·w + 3×3 9·w² + 1×1 w·4w; BNs 2·(w + w + 4w) = 12·w;
#   the first block of a stage adds a 1×1 downsample cin·4w and its BN 8·w.
#   stage1 (w 64): block1 64·64 + 36,864 + 16,384 + 16,384 (down) + 12·64 + 8·64 = 73,728 + 1,280 = 75,008;
#       blocks 2-3: 256·64 + 36,864 + 16,384 + 768 = 16,384 + 36,864 + 16,384 + 768 = 70,400 each;
#       stage1 = 75,008 + 140,800 = 215,808
#   stage2 (w 128): block1 256·128 + 147,456 + 65,536 + 256·512 + 12·128 + 8·128
#       = 32,768 + 147,456 + 65,536 + 131,072 + 2,560 = 379,392;
#       blocks 2-4: 512·128 + 147,456 + 65,536 + 1,536 = 280,064 each; stage2 = 379,392 + 840,192 = 1,219,584
#   stage3 (w 256): block1 512·256 + 589,824 + 262,144 + 512·1,024 + 20·256
#       = 131,072 + 589,824 + 262,144 + 524,288 + 5,120 = 1,512,448;
#       blocks 2-6: 1,024·256 + 589,824 + 262,144 + 3,072 = 1,117,184 each; stage3 = 1,512,448 + 5,585,920 = 7,098,368
#   stage4 (w 512): block1 1,024·512 + 2,359,296 + 1,048,576 + 1,024·2,048 + 20·512
#       = 524,288 + 2,359,296 + 1,048,576 + 2,097,152 + 10,240 = 6,039,552;
#       blocks 2-3: 2,048·512 + 2,359,296 + 1,048,576 + 6,144 = 4,462,592 each; stage4 = 6,039,552 + 8,925,184 = 14,964,736
#   fc 2,048·1,000 + 1,000 = 2,049,000
#   total 9,536 + 215,808 + 1,219,584 + 7,098,368 + 14,964,736 + 2,049,000 = 25,557,032
RESNET50 = 4_089_184_256
RESNET50_PARAMS = 25_557_032

# MobileNetV2 (torchvision mobilenetv2.py: stem 3×3 s2 3→32; inverted residuals (t, c, n, s)
# (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1); 1×1 →1280; fc).
# A block at side H_in (expand), H_out (depthwise stride, project), hidden = cin·t:
#   expand H_in²·cin·hidden + depthwise H_out²·hidden·9 + project H_out²·hidden·c.
#   stem 112²·32·27 = 12,544·864 = 10,838,016
#   (1,16): dw 12,544·32·9 = 3,612,672 + pw 12,544·32·16 = 6,422,528 → 10,035,200
#   (6,24): 12,544·16·96 + 3,136·96·9 + 3,136·96·24 = 19,267,584 + 2,709,504 + 7,225,344 = 29,202,432;
#           3,136·(24·144 + 144·9 + 144·24) = 3,136·8,208 = 25,740,288 → 54,942,720
#   (6,32): 3,136·24·144 + 784·144·9 + 784·144·32 = 10,838,016 + 1,016,064 + 3,612,672 = 15,466,752;
#           2 × 784·(32·192 + 192·9 + 192·32) = 2 × 784·14,016 = 2 × 10,988,544 → 37,443,840
#   (6,64): 784·32·192 + 196·192·9 + 196·192·64 = 4,816,896 + 338,688 + 2,408,448 = 7,564,032;
#           3 × 196·(64·384 + 384·9 + 384·64) = 3 × 196·52,608 = 3 × 10,311,168 → 38,497,536
#   (6,96): 196·(64·384 + 384·9 + 384·96) = 196·64,896 = 12,719,616;
#           2 × 196·(96·576 + 576·9 + 576·96) = 2 × 196·115,776 = 2 × 22,692,096 → 58,103,808
#   (6,160): 196·96·576 + 49·576·9 + 49·576·160 = 10,838,016 + 254,016 + 4,515,840 = 15,607,872;
#           2 × 49·(160·960 + 960·9 + 960·160) = 2 × 49·315,840 = 2 × 15,476,160 → 46,560,192
#   (6,320): 49·(160·960 + 960·9 + 960·320) = 49·469,440 = 23,002,560
#   last 1×1 49·320·1,280 = 20,070,400; fc 1,280·1,000 = 1,280,000
#   total = 300,774,272 (torchvision 0.301)
MOBILENET_V2 = 300_774_272
# Params: torchvision num_params 3,504,872; ReLU6's 0 and 6 (scalar Clip inputs stored as
# initializers) are constants, not params (docs/counting.md, "params").
MOBILENET_V2_PARAMS = 3_504_872

# VGG-16 (3×3 convs, pad 1; MACs = H²·Cout·Cin·9 per conv):
#   224² (50,176): 3→64 86,704,128; 64→64 1,849,688,064
#   112² (12,544): 64→128 924,844,032; 128→128 1,849,688,064
#   56² (3,136): 128→256 924,844,032; 2 × 256→256 2 × 1,849,688,064
#   28² (784): 256→512 924,844,032; 2 × 512→512 2 × 1,849,688,064
#   14² (196): 3 × 512→512 3 × 462,422,016 = 1,387,266,048
#   convs 15,346,630,656; fc 25,088·4,096 + 4,096·4,096 + 4,096·1,000 = 102,760,448 + 16,777,216
#   + 4,096,000 = 123,633,664; total 15,470,264,320 (torchvision 15.47, i.e. 15.470)
VGG16 = 15_470_264_320
# Params (conv weight + bias): 1,792 + 36,928 + 73,856 + 147,584 + 295,168 + 2·590,080
#   + 1,180,160 + 2·2,359,808 + 3·2,359,808 = 14,714,688; fc 102,764,544 + 16,781,312 + 4,097,000
#   = 123,642,856; total 138,357,544 (torchvision's num_params).
VGG16_PARAMS = 138_357_544

# EfficientNet-B0 (torchvision efficientnet.py; a block at side H_in, H_out = H_in/stride, hidden = cin·t,
# squeeze sq = cin // 4: expand H_in²·cin·hidden + depthwise H_out²·hidden·k² + SE 2·hidden·sq (two 1×1
# convs on the pooled 1×1) + project H_out²·hidden·cout):
#   stem 112²·32·27 = 10,838,016
#   (1, k3, 32→16) at 112²: 12,544·32·9 + 2·32·8 + 12,544·32·16 = 3,612,672 + 512 + 6,422,528 = 10,035,712
#   (6, k3, s2, 16→24): 12,544·16·96 + 3,136·96·9 + 2·96·4 + 3,136·96·24
#       = 19,267,584 + 2,709,504 + 768 + 7,225,344 = 29,203,200;
#       3,136·24·144 + 3,136·144·9 + 2·144·6 + 3,136·144·24 = 10,838,016 + 4,064,256 + 1,728 + 10,838,016
#       = 25,742,016 → 54,945,216
#   (6, k5, s2, 24→40): 10,838,016 + 784·144·25 + 1,728 + 784·144·40 = 10,838,016 + 2,822,400 + 1,728
#       + 4,515,840 = 18,177,984; 784·40·240 + 784·240·25 + 2·240·10 + 784·240·40 = 7,526,400
#       + 4,704,000 + 4,800 + 7,526,400 = 19,761,600 → 37,939,584
#   (6, k3, s2, 40→80): 7,526,400 + 196·240·9 + 4,800 + 196·240·80 = 7,526,400 + 423,360 + 4,800
#       + 3,763,200 = 11,717,760; 2 × (196·80·480 + 196·480·9 + 2·480·20 + 196·480·80) = 2 × (7,526,400
#       + 846,720 + 19,200 + 7,526,400) = 2 × 15,918,720 → 43,555,200
#   (6, k5, 80→112): 7,526,400 + 196·480·25 + 19,200 + 196·480·112 = 7,526,400 + 2,352,000 + 19,200
#       + 10,536,960 = 20,434,560; 2 × (196·112·672 + 196·672·25 + 2·672·28 + 196·672·112) = 2 × (14,751,744
#       + 3,292,800 + 37,632 + 14,751,744) = 2 × 32,833,920 → 86,102,400
#   (6, k5, s2, 112→192): 14,751,744 + 49·672·25 + 37,632 + 49·672·192 = 14,751,744 + 823,200 + 37,632
#       + 6,322,176 = 21,934,752; 3 × (49·192·1,152 + 49·1,152·25 + 2·1,152·48 + 49·1,152·192)
#       = 3 × (10,838,016 + 1,411,200 + 110,592 + 10,838,016) = 3 × 23,197,824 → 91,528,224
#   (6, k3, 192→320): 10,838,016 + 49·1,152·9 + 110,592 + 49·1,152·320 = 10,838,016 + 508,032 + 110,592
#       + 18,063,360 = 29,520,000
#   head 49·320·1,280 = 20,070,400; fc 1,280,000
#   total 385,814,752 (torchvision 0.386)
EFFICIENTNET_B0 = 385_814_752

# ConvNeXt-Tiny: stem 4×4/4 3→96 at 56²: 3,136·96·48 = 14,450,688. A block at side H, width C:
# depthwise 7×7 H²·C·49 + Linears C→4C→C 2·H²·4C² = H²·(49·C + 8·C²); a downsample 2×2/2 C→2C at
# the new side H: H²·2C·C·4 = H²·8·C².
#   (96, 56²): 3 × 3,136·(4,704 + 73,728) = 3 × 245,962,752 = 737,888,256; down 784·73,728 = 57,802,752
#   (192, 28²): 3 × 784·(9,408 + 294,912) = 3 × 238,586,880 = 715,760,640; down 196·294,912 = 57,802,752
#   (384, 14²): 9 × 196·(18,816 + 1,179,648) = 9 × 234,898,944 = 2,114,090,496; down 49·1,179,648 = 57,802,752
#   (768, 7²): 3 × 49·(37,632 + 4,718,592) = 3 × 233,054,976 = 699,164,928
#   head 768·1,000 = 768,000; total 4,455,531,264 (torchvision 4.456)
CONVNEXT_TINY = 4_455_531_264

# ViT-B/16: patch conv 196 positions · 768 · 3·16·16 = 196·589,824 = 115,605,504;
# per layer at n = 197, d = 768: QKV 3·n·d² = 348,585,984, out n·d² = 116,195,328,
# MLP 2·n·d·3,072 = 929,562,624, QKᵀ and PV 2·n²·d = 2·38,809·768 = 59,610,624 → 1,453,954,560;
# 12 layers 17,447,454,720; head 768·1,000 = 768,000; total 17,563,828,224 (torchvision 17.564).
VIT_B_16 = 17_563_828_224
# Params: conv 589,824 + 768; class token 768; positions 197·768 = 151,296; per layer 2 LNs
# 2·1,536, QKV 3·(589,824 + 768), out 589,824 + 768, MLP 2,359,296 + 3,072 + 2,359,296 + 768
# = 7,087,872, 12 layers 85,054,464; final LN 1,536; head 769,000: 86,567,656 (torchvision's
# num_params); the attention scale 1/√64, a scalar initializer, is a constant, not a param.
VIT_B_16_PARAMS = 86_567_656

# BERT-base, n = 128, d = 768, no pooler: per layer 12·d²·n (QKV 3, out 1, FFN 8) and 2·n²·d
# (QKᵀ, PV): 12·(12·589,824·128 + 2·16,384·768) = 12·(905,969,664 + 25,165,824) = 11,173,625,856.
BERT = 11_173_625_856
# fvcore adds its layer_norm handle, 5·N for each of the 25 LayerNorms (embeddings + 2 per
# layer) of N = 128·768 = 98,304: 25·491,520 = 12,288,000.
BERT_FVCORE = BERT + 12_288_000


def _torchvision(model):
    report = onnx_cost.analyze(model)
    assert report.coverage.complete, report.uncounted
    return conventions.apply(report, "torchvision")


@pytest.mark.parametrize(
    "build,macs,params,published",
    [
        (lambda: resnet((2, 2, 2, 2), bottleneck=False), RESNET18, RESNET18_PARAMS, "1.814"),
        (lambda: resnet((3, 4, 6, 3), bottleneck=True), RESNET50, RESNET50_PARAMS, "4.089"),
        (mobilenet_v2, MOBILENET_V2, MOBILENET_V2_PARAMS, "0.301"),
        (vgg16, VGG16, VGG16_PARAMS, "15.470"),
        (efficientnet_b0, EFFICIENTNET_B0, None, "0.386"),
        (convnext_tiny, CONVNEXT_TINY, None, "4.456"),
        (vit_b_16, VIT_B_16, VIT_B_16_PARAMS, "17.564"),
    ],
    ids=["resnet18", "resnet50", "mobilenet_v2", "vgg16", "efficientnet_b0", "convnext_tiny", "vit_b_16"],
)
def test_torchvision_published_gflops(build, macs, params, published):
    r = _torchvision(build())
    assert f"{macs / 1e9:.3f}" == published  # the hand-derived integer rounds to the published value
    assert r.totals == {"macs": macs}
    assert params is None or r.params == params
    assert not r.unsupported and not r.not_modelled


def test_resnet18_params_stored_vs_learnable():
    report = onnx_cost.analyze(resnet((2, 2, 2, 2), bottleneck=False))
    assert report.total.params == 11_699_112
    assert conventions.apply(report, "torchvision").params == RESNET18_PARAMS
    assert conventions.apply(report, "onnx-tool").params == 11_699_112  # counts every initializer


def test_bert_base_macs_under_torchvision_and_fvcore():
    report = onnx_cost.analyze(bert_base(128))
    assert report.coverage.complete, report.uncounted
    tv, fv = conventions.apply(report, "torchvision"), conventions.apply(report, "fvcore")
    assert tv.totals == {"macs": BERT}
    # fvcore's contractions are the same MACs; its total adds the LayerNorm handle.
    assert fv.by_family["linear"]["flops"] + fv.by_family["matmul"]["flops"] == BERT
    assert fv.by_family["layernorm"]["flops"] == 12_288_000
    assert fv.totals == {"flops": BERT_FVCORE}
    # The decomposed modules were recognized: 25 LayerNorms, 12 GELUs, 72 Linears with bias.
    assert tv.patterns == {"layernorm": 25, "gelu": 12, "linear": 72}


def test_efficientnet_silu_modules_are_recognized():
    # SiLU (x · Sigmoid(x)): the stem, the head, and per block the expand conv (not in the first,
    # t = 1), the depthwise conv and the SE squeeze: 1 + 1 + (2 + 15 · 3) = 49. The SE gate
    # x · Sigmoid(s) multiplies by the sigmoid of another tensor: not a SiLU.
    r = conventions.apply(onnx_cost.analyze(efficientnet_b0()), "ptflops")
    assert r.patterns["silu"] == 49
