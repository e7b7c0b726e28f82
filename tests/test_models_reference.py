"""Whole models against published reference numbers.

(a) ResNet-18 built in memory, layer for layer as torchvision builds it, with the
    BatchNormalizations left unfused: MACs 1.814 G, params 11.7 M.
(b) The weightless model-zoo models shipped in the onnx wheel (their weights come
    from ConstantOfShape nodes, which the analyzer counts as params).
"""

from __future__ import annotations

import glob
import os

import onnx
import pytest

import onnx_cost

from models import resnet

# --- (a) ResNet-18 ------------------------------------------------------------------
#
# MACs of torchvision's resnet18 at 1×3×224×224 (conv MACs = Hout·Wout·Cout·Cin·K·K):
#   conv1 7×7 s2 p3, 3 → 64, out (224+6−7)//2+1 = 112:
#       112·112·64·3·49 = 12,544·64 = 802,816 · 147 =                     118,013,952
#   maxpool 3×3 s2 p1 → 56×56
#   layer1, 2 blocks, 4 convs 3×3 64 → 64 at 56×56:
#       3,136·64·64·9 = 3,136·36,864 = 115,605,504 each; × 4 =             462,422,016
#   layer2 at 28×28 (784 positions):
#       block1 conv1 3×3 s2 64 → 128:   784·128·64·9  = 784·73,728  =  57,802,752
#       3 convs 3×3 128 → 128:          784·128·128·9 = 784·147,456 = 115,605,504 × 3 = 346,816,512
#       downsample 1×1 s2 64 → 128:     784·128·64    = 784·8,192   =   6,422,528
#       layer2 =                                                           411,041,792
#   layer3 at 14×14 (196): 196·294,912 = 57,802,752; 196·589,824 = 115,605,504 × 3
#       = 346,816,512; downsample 196·32,768 = 6,422,528; layer3 =          411,041,792
#   layer4 at 7×7 (49): 49·1,179,648 = 57,802,752; 49·2,359,296 = 115,605,504 × 3
#       = 346,816,512; downsample 49·131,072 = 6,422,528; layer4 =          411,041,792
#   convs: 118,013,952 + 462,422,016 + 3·411,041,792 (1,233,125,376) =    1,813,561,344
#   fc 512 → 1000: 512·1000 =                                                  512,000
#   total =                                                             1,814,073,344
RESNET18_CONV_MACS = 1_813_561_344
RESNET18_MACS = 1_814_073_344
#
# Params: conv weights (no conv bias in torchvision's ResNet):
#   conv1 3·64·49 = 9,408; layer1 4·36,864 = 147,456;
#   layer2 73,728 + 3·147,456 + 8,192 = 524,288; layer3 294,912 + 3·589,824 + 32,768 = 2,097,152;
#   layer4 1,179,648 + 3·2,359,296 + 131,072 = 8,388,608;
#   sum 9,408 + 147,456 + 524,288 + 2,097,152 + 8,388,608 = 11,166,912.
# BatchNorm channels: bn1 64; layer1 4·64 = 256; layer2 5·128 = 640 (4 in the blocks + the
#   downsample's); layer3 5·256 = 1,280; layer4 5·512 = 2,560; sum 4,800.
# fc 512·1000 + 1000 = 513,000.
# torchvision counts BN's scale and shift only: 11,166,912 + 2·4,800 + 513,000 = 11,689,512.
# The ONNX file stores scale, B, mean and var (4·C): 11,689,512 + 2·4,800 = 11,699,112.
RESNET18_PARAMS = 11_699_112


def resnet18() -> onnx.ModelProto:
    return resnet((2, 2, 2, 2), bottleneck=False)  # tests/models.py, shared with test_conventions_models


def _macs(report, ops=("Conv", "Gemm")) -> int:
    return sum(r.cost.macs for r in report.nodes if r.op_type in ops)


def test_resnet18_built_in_memory():
    report = onnx_cost.analyze(resnet18())
    convs = [r for r in report.nodes if r.op_type == "Conv"]
    assert len(convs) == 20  # conv1 + 16 block convs + 3 downsamples
    assert all(r.status == "counted" for r in convs), [r.detail for r in convs if r.status != "counted"]
    assert _macs(report, ("Conv",)) == RESNET18_CONV_MACS
    assert _macs(report) == RESNET18_MACS
    assert report.total.params == RESNET18_PARAMS
    out = report.model.outputs[0]
    assert out[2] == (1, 1000)


# --- (b) the weightless zoo models in the onnx wheel ---------------------------------

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
LIGHT_MODELS = sorted(glob.glob(os.path.join(LIGHT, "light_*.onnx")))

# light_resnet50 (ResNet-50 v1.5, the stride in each first block's 3×3, as torchvision):
#   stem conv 7×7: 118,013,952 (as ResNet-18).
#   A bottleneck of width w, input cin at side H, output side Ho = H/stride:
#   1×1 cin→w at H² + 3×3 w→w at Ho² + 1×1 w→4w at Ho² (+ downsample 1×1 cin→4w at Ho²).
#   stage1 (56², w 64, 3 blocks): block1 3,136·(64·64 + 64·64·9 + 64·256 + 64·256)
#       = 3,136·(4,096 + 36,864 + 16,384 + 16,384) = 3,136·73,728 = 231,211,008;
#       blocks 2-3: 3,136·(256·64 + 36,864 + 16,384) = 3,136·69,632 = 218,365,952 each;
#       stage1 = 231,211,008 + 2·218,365,952 = 667,942,912
#   stage2 (w 128, 4 blocks): block1 1×1 at 56²: 3,136·256·128 = 102,760,448; then at 28² (784):
#       784·(128·128·9 + 128·512 + 256·512) = 784·(147,456 + 65,536 + 131,072) = 784·344,064
#       = 269,746,176; blocks 2-4: 784·(512·128 + 147,456 + 65,536) = 784·278,528 = 218,365,952 each;
#       stage2 = 102,760,448 + 269,746,176 + 3·218,365,952 = 1,027,604,480
#   stage3 (w 256, 6 blocks): block1 784·512·256 = 102,760,448; 196·(589,824 + 262,144 + 524,288)
#       = 196·1,376,256 = 269,746,176; blocks 2-6: 196·(262,144 + 589,824 + 262,144) = 196·1,114,112
#       = 218,365,952 each; stage3 = 102,760,448 + 269,746,176 + 5·218,365,952 = 1,464,336,384
#   stage4 (w 512, 3 blocks): block1 196·1,024·512 = 102,760,448; 49·(2,359,296 + 1,048,576
#       + 2,097,152) = 49·5,505,024 = 269,746,176; blocks 2-3: 49·(1,048,576 + 2,359,296 + 1,048,576)
#       = 49·4,456,448 = 218,365,952 each; stage4 = 102,760,448 + 269,746,176 + 2·218,365,952
#       = 809,238,528
#   fc 2,048·1,000 = 2,048,000
#   total 118,013,952 + 667,942,912 + 1,027,604,480 + 1,464,336,384 + 809,238,528 + 2,048,000
#       = 4,089,184,256 (torchvision's published 4.089 G)
RESNET50_MACS = 4_089_184_256
# light_densenet121 (growth 32, bottleneck 4·32 = 128; a dense layer at c input channels is
# 1×1 c→128 plus 3×3 128→32 = 36,864 per position; layer i of a block sees c0 + 32·i channels):
#   stem conv 7×7 3→64 at 112²: 118,013,952
#   block1 (56² = 3,136, 6 layers, c0 64): Σc = 6·64 + 32·15 = 864 → 3,136·128·864 = 346,816,512;
#       3×3: 6·3,136·36,864 = 693,633,024; transition 1×1 256→128 at 56²: 3,136·32,768 = 102,760,448
#   block2 (28² = 784, 12 layers, c0 128): Σc = 1,536 + 32·66 = 3,648 → 784·128·3,648 = 366,084,096;
#       3×3: 12·784·36,864 = 346,816,512; transition 512→256 at 28²: 784·131,072 = 102,760,448
#   block3 (14² = 196, 24 layers, c0 256): Σc = 6,144 + 32·276 = 14,976 → 196·128·14,976
#       = 375,717,888; 3×3: 24·196·36,864 = 173,408,256; transition 1,024→512 at 14²: 196·524,288
#       = 102,760,448
#   block4 (7² = 49, 16 layers, c0 512): Σc = 8,192 + 32·120 = 12,032 → 49·128·12,032 = 75,464,704;
#       3×3: 16·49·36,864 = 28,901,376
#   classifier (a 1×1 conv 1,024 → 1,000 after the global pool): 1,024,000
#   total = 2,834,161,664 (torchvision's published 2.834 G)
DENSENET121_MACS = 2_834_161_664


@pytest.mark.parametrize(
    "name,macs", [("light_resnet50.onnx", RESNET50_MACS), ("light_densenet121.onnx", DENSENET121_MACS)]
)
def test_light_zoo_macs(name, macs):
    report = onnx_cost.analyze(os.path.join(LIGHT, name))
    assert _macs(report) == macs


@pytest.mark.parametrize("path", LIGHT_MODELS, ids=[os.path.basename(p) for p in LIGHT_MODELS])
def test_light_zoo_fully_covered(path):
    report = onnx_cost.analyze(path)
    bad = sorted({(r.op_type, r.status) for r in report.nodes if r.status not in ("counted", "zero")})
    assert not bad, f"nodes neither counted nor zero: {bad}"


def test_light_zoo_present():
    assert len(LIGHT_MODELS) >= 9
