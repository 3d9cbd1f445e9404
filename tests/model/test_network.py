"""The CXA network against the paper's figures and hand computations."""

import pytest
import torch
import torch.nn.functional as F

from cardioview.model.amm import AttentionMappingHead, GlobalAveragePoolingHead
from cardioview.model.network import NetworkConfig, build_network, count_parameters


@pytest.fixture(scope="module")
def cxa_dense121():
    torch.manual_seed(0)
    return build_network(NetworkConfig()).eval()


def test_parameter_counts_match_the_paper(cxa_dense121):
    assert count_parameters(cxa_dense121) == (7_223_106, 1_024)
    assert count_parameters(cxa_dense121.head) == (269_250, 1_024)


def test_feature_and_attention_shapes_at_224(cxa_dense121):
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        features = cxa_dense121.backbone(x)
        logit, attention = cxa_dense121(x)
    assert features.shape == (2, 1024, 7, 7)
    assert logit.shape == (2, 1)
    assert attention.shape == (2, 1, 7, 7)
    assert float(attention.min()) > 0.0 and float(attention.max()) < 1.0


def test_fully_convolutional_any_size(cxa_dense121):
    with torch.no_grad():
        _, attention = cxa_dense121(torch.rand(1, 3, 320, 256))
    assert attention.shape == (1, 1, 10, 8)


def test_broadcast_conv_is_fixed_ones(cxa_dense121):
    head = cxa_dense121.head
    assert not head.broadcast.requires_grad
    assert torch.equal(head.broadcast, torch.ones(1024, 1, 1, 1))


def test_same_average_pool_matches_keras_semantics():
    # Keras AveragePooling2D(2, strides=1, padding='same') pads after, and averages valid cells only.
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    pooled = AttentionMappingHead.same_avg_pool_2x2(x)
    expected = torch.tensor(
        [
            [
                [
                    [(0 + 1 + 3 + 4) / 4, (1 + 2 + 4 + 5) / 4, (2 + 5) / 2],
                    [(3 + 4 + 6 + 7) / 4, (4 + 5 + 7 + 8) / 4, (5 + 8) / 2],
                    [(6 + 7) / 2, (7 + 8) / 2, 8.0],
                ]
            ]
        ]
    )
    assert torch.allclose(pooled, expected)


def test_gwap_against_hand_computation():
    torch.manual_seed(1)
    head = AttentionMappingHead(channels=4, dropout=0.0).eval()
    features = torch.rand(1, 4, 3, 3)
    captured = {}
    head.fc1.register_forward_pre_hook(lambda module, inputs: captured.update(pooled=inputs[0]))
    with torch.no_grad():
        _, w = head(features)
        f = head.bn(features)
    # f_k = sum_xy F_k(x, y) W(x, y) / sum_xy W(x, y), written out without broadcasting tricks
    for k in range(4):
        num = sum(float(f[0, k, i, j]) * float(w[0, 0, i, j]) for i in range(3) for j in range(3))
        den = sum(float(w[0, 0, i, j]) for i in range(3) for j in range(3))
        assert captured["pooled"][0, k].item() == pytest.approx(num / den, rel=1e-5)


def test_attention_bias_initialisation_starts_w_small():
    net = build_network(NetworkConfig(attention_bias=-3.0)).eval()
    assert net.head.conv4.bias.item() == -3.0
    with torch.no_grad():
        _, attention = net(torch.rand(1, 3, 64, 64))
    assert float(attention.mean()) < 0.3


def test_glorot_uniform_bounds(cxa_dense121):
    conv1 = cxa_dense121.head.conv1.weight.detach()  # fan_in 1024, fan_out 128
    bound = (6 / (1024 + 128)) ** 0.5
    assert float(conv1.abs().max()) <= bound
    assert float(conv1.abs().max()) > 0.9 * bound
    assert float(cxa_dense121.head.conv1.bias.detach().abs().max()) == 0.0


def test_gap_baseline_logit_is_mean_of_its_activation_map():
    torch.manual_seed(2)
    head = GlobalAveragePoolingHead(channels=8, dropout=0.0).eval()
    features = torch.rand(2, 8, 5, 5)
    with torch.no_grad():
        logit, cam = head(features)
    per_location_logit = torch.logit(cam.double(), eps=0).mean(dim=(1, 2, 3))
    assert torch.allclose(per_location_logit.float(), logit[:, 0], atol=1e-4)


@pytest.mark.parametrize("backbone,channels", [("densenet201", 1920), ("resnet50", 2048)])
def test_other_backbones_build(backbone, channels):
    net = build_network(NetworkConfig(backbone=backbone)).eval()
    with torch.no_grad():
        features = net.backbone(torch.rand(1, 3, 64, 64))
    assert features.shape[1] == channels


def test_paper_names():
    assert NetworkConfig().name == "CXA_Dense121"
    assert NetworkConfig(head="gap").name == "DenseNet121-GAP"
    assert NetworkConfig(backbone="resnet50").name == "CXA_Res50"
    with pytest.raises(ValueError, match="unknown backbone"):
        NetworkConfig(backbone="vgg16")


def test_elu_and_sigmoid_are_where_the_paper_puts_them():
    head = AttentionMappingHead(channels=4, dropout=0.0).eval()
    x = torch.randn(1, 4, 2, 2) * 10
    with torch.no_grad():
        f = head.bn(x)
        h = F.elu(head.conv3(F.elu(head.conv2(F.elu(head.conv1(f))))))
        w = torch.sigmoid(head.conv4(head.same_avg_pool_2x2(h)))
        _, attention = head(x)
    assert torch.allclose(w, attention)


def test_output_stride_16_doubles_the_map_with_the_same_parameters(cxa_dense121):
    fine = build_network(NetworkConfig(output_stride=16))
    assert count_parameters(fine) == count_parameters(cxa_dense121)
    with torch.no_grad():
        _, w128 = fine.eval()(torch.zeros(1, 3, 128, 128))
        _, w224 = fine(torch.zeros(1, 3, 224, 224))
    assert w128.shape == (1, 1, 8, 8) and w224.shape == (1, 1, 14, 14)
    assert NetworkConfig.from_dict(fine.config.to_dict()) == fine.config  # round-trips through the manifest
    with pytest.raises(ValueError, match="output_stride"):
        NetworkConfig(output_stride=8)
    with pytest.raises(ValueError, match="DenseNet"):
        NetworkConfig(backbone="resnet50", output_stride=16)
