// GIVEN/WHEN/THEN tests of the comparison maps: difference x gain, clamping, size checks.
#include <QtTest>

#include <vector>

#include "fvs/core/compare_maps.h"

using namespace fvs::core;

namespace {

PixelBuffer filled(int w, int h, int channels, uint8_t value) {
    return {w, h, channels, std::vector<uint8_t>(static_cast<size_t>(w) * h * channels, value)};
}

uint8_t at(const PixelBuffer& b, int x, int y, int c) {
    return b.pixels[(static_cast<size_t>(y) * b.width + x) * b.channels + c];
}

}  // namespace

class TestCompareMaps : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void identicalFramesGiveZero() {
        // GIVEN two identical RGB24 frames with varied content
        PixelBuffer a = filled(7, 5, 3, 0);
        for (size_t i = 0; i < a.pixels.size(); ++i)
            a.pixels[i] = static_cast<uint8_t>(i * 37);
        const PixelBuffer b = a;
        // WHEN the difference map is made at the highest gain
        auto map = differenceMap(viewOf(a), viewOf(b), 16);
        // THEN every byte is zero
        QVERIFY(map.ok());
        QCOMPARE(map->width, 7);
        QCOMPARE(map->height, 5);
        for (uint8_t v : map->pixels)
            QCOMPARE(int(v), 0);
    }

    void knownDifferenceTimesGainIsClamped() {
        // GIVEN frames equal except pixel (2, 1): R +3, G -10, B +100
        PixelBuffer a = filled(4, 3, 3, 100);
        PixelBuffer b = a;
        const size_t p = (1 * 4 + 2) * 3;
        a.pixels[p + 0] = 103;
        a.pixels[p + 1] = 90;
        a.pixels[p + 2] = 200;
        for (int gain : kDifferenceGains) {
            // WHEN the map is made with this gain
            auto map = differenceMap(viewOf(a), viewOf(b), gain);
            QVERIFY(map.ok());
            // THEN the pixel holds |difference| x gain, clamped at 255; the others stay zero
            QCOMPARE(int(at(*map, 2, 1, 0)), std::min(255, 3 * gain));
            QCOMPARE(int(at(*map, 2, 1, 1)), std::min(255, 10 * gain));
            QCOMPARE(int(at(*map, 2, 1, 2)), std::min(255, 100 * gain));  // 255 from 4x up
            QCOMPARE(int(at(*map, 1, 1, 0)), 0);
            QCOMPARE(int(at(*map, 3, 2, 2)), 0);
        }
        QCOMPARE(int(at(differenceMap(viewOf(a), viewOf(b), 16).value(), 2, 1, 1)), 160);
        QCOMPARE(int(at(differenceMap(viewOf(a), viewOf(b), 16).value(), 2, 1, 0)), 48);
    }

    void rgbaKeepsAlphaOpaque() {
        // GIVEN RGBA frames differing by 5 in green
        PixelBuffer a = filled(2, 2, 4, 50);
        PixelBuffer b = a;
        a.pixels[1] = 55;
        // WHEN mapped at 4x, THEN green is 20 and alpha 255
        auto map = differenceMap(viewOf(a), viewOf(b), 4);
        QVERIFY(map.ok());
        QCOMPARE(int(at(*map, 0, 0, 1)), 20);
        QCOMPARE(int(at(*map, 0, 0, 3)), 255);
        QCOMPARE(int(at(*map, 1, 1, 3)), 255);
    }

    void sizeMismatchIsAnError() {
        // GIVEN frames of different sizes (and of different channel counts)
        const PixelBuffer a = filled(4, 3, 3, 0);
        const PixelBuffer b = filled(4, 2, 3, 0);
        const PixelBuffer c = filled(4, 3, 4, 0);
        // WHEN the map is asked for, THEN it is an InvalidArgument naming both sizes, no crash
        auto map = differenceMap(viewOf(a), viewOf(b), 1);
        QVERIFY(!map.ok());
        QCOMPARE(map.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(map.error().message.find("4x3x3") != std::string::npos,
                 map.error().message.c_str());
        QVERIFY(map.error().message.find("4x2x3") != std::string::npos);
        QVERIFY(!differenceMap(viewOf(a), viewOf(c), 1).ok());
        QVERIFY(!differenceMap(viewOf(a), PixelView{}, 1).ok());
        QVERIFY(!differenceMap(viewOf(a), viewOf(a), 0).ok());
    }

    void resampleNearestReplicatesPixels() {
        // GIVEN a 2x1 RGB frame (red, blue)
        PixelBuffer src{2, 1, 3, {255, 0, 0, 0, 0, 255}};
        // WHEN resampled to 4x2
        auto big = resampleNearest(viewOf(src), 4, 2);
        QVERIFY(big.ok());
        // THEN each source pixel covers a 2x2 block
        QCOMPARE(int(at(*big, 1, 1, 0)), 255);
        QCOMPARE(int(at(*big, 2, 0, 2)), 255);
        QCOMPARE(int(at(*big, 2, 0, 0)), 0);
        QVERIFY(!resampleNearest(viewOf(src), 0, 2).ok());
    }
};

QTEST_APPLESS_MAIN(TestCompareMaps)
#include "test_compare_maps.moc"
