// Colour fix (AdaIN and wavelet) against the official TorchColorCorrectorWavelet goldens.
#include <QtTest>

#include "decoder_golden_util.h"
#include "model/color_fix.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

namespace {

constexpr double kTolerance = 1e-5;  // README: rel ≤ 1e-5 and max abs ≤ 1e-5

}  // namespace

class TestParityColorFix : public QObject {
    Q_OBJECT

private:
    TensorMap m_golden;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(2);
        m_golden = loadGolden("color_fix.safetensors");
    }

    void adainMatchesReference() {
        // GIVEN decoder output beyond ±1 and the LQ frames WHEN AdaIN runs
        const auto out =
            adainColorFix(tensorOf(m_golden, "input.hr"), tensorOf(m_golden, "input.lr"));
        // THEN it matches the reference (clamped)
        const auto& expected = tensorOf(m_golden, "output.adain");
        QVERIFY2(relError(out, expected) <= kTolerance,
                 qPrintable(QString::number(relError(out, expected))));
        QVERIFY(maxAbsError(out, expected) <= kTolerance);
        QVERIFY(out.abs().max().item<float>() <= 1.0f);
        // and the unclamped tap is indeed out of range (so the clamp is exercised)
        QVERIFY(tensorOf(m_golden, "tap.adain_unclamped").abs().max().item<float>() > 1.0f);
    }

    void waveletMatchesReference() {
        const auto out =
            waveletColorFix(tensorOf(m_golden, "input.hr"), tensorOf(m_golden, "input.lr"));
        const auto& expected = tensorOf(m_golden, "output.wavelet");
        QVERIFY2(relError(out, expected) <= kTolerance,
                 qPrintable(QString::number(relError(out, expected))));
        QVERIFY(maxAbsError(out, expected) <= kTolerance);
    }

    void frameLayoutAndDispatch() {
        const auto hr = tensorOf(m_golden, "input.hr"), lr = tensorOf(m_golden, "input.lr");
        // (F, C, H, W) frames give the same result as (1, C, F, H, W)
        const auto framesOut =
            adainColorFix(hr.squeeze(0).transpose(0, 1), lr.squeeze(0).transpose(0, 1));
        QVERIFY(torch::equal(framesOut, adainColorFix(hr, lr).squeeze(0).transpose(0, 1)));
        // dispatch; None leaves the frames untouched (the reference does not clamp then)
        QVERIFY(torch::equal(applyColorFix(hr, lr, ColorFixMethod::AdaIn), adainColorFix(hr, lr)));
        QVERIFY(
            torch::equal(applyColorFix(hr, lr, ColorFixMethod::Wavelet), waveletColorFix(hr, lr)));
        QVERIFY(torch::equal(applyColorFix(hr, lr, ColorFixMethod::None), hr));
        // the result keeps the input dtype
        QCOMPARE(adainColorFix(hr.to(torch::kBFloat16), lr).scalar_type(), torch::kBFloat16);
    }

    void mismatchedShapesAreAClearError() {
        const auto hr = tensorOf(m_golden, "input.hr");
        try {
            adainColorFix(hr, hr.slice(2, 0, 1));
            QFAIL("mismatched shapes were accepted");
        } catch (const c10::Error& e) {
            QVERIFY(std::string(e.what_without_backtrace()).find("shapes differ") !=
                    std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(c10::Error, waveletColorFix(hr, hr, 0));
    }
};

QTEST_GUILESS_MAIN(TestParityColorFix)
#include "test_parity_color_fix.moc"
