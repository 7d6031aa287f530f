<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>CompareView</name>
        <message>
            <source>FlashVSR</source>
            <translation>FlashVSR</translation>
        </message>
        <message>
            <source>Lanczos</source>
            <translation>Lanczos</translation>
        </message>
        <message>
            <source>Bicubic</source>
            <translation>双三次</translation>
        </message>
        <message>
            <source>Upscaled</source>
            <translation>放大结果</translation>
        </message>
        <message>
            <source>Comparison divider</source>
            <translation>对比分隔线</translation>
        </message>
        <message>
            <source>Original</source>
            <translation>原始</translation>
        </message>
        <message>
            <source>%1 — upscaling…</source>
            <translation>%1 — 正在放大…</translation>
        </message>
        <message>
            <source>Opening…</source>
            <translation>正在打开…</translation>
        </message>
        <message>
            <source>Drop a video, several videos or a folder anywhere</source>
            <translation>将一个或多个视频、或文件夹拖放到窗口任意位置</translation>
        </message>
        <message>
            <source>Open a video…</source>
            <translation>打开视频…</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Not upscaled</source>
            <translation>未放大</translation>
        </message>
        <message>
            <source>Model loading cancelled</source>
            <translation>模型加载已取消</translation>
        </message>
        <message>
            <source>Loading the FlashVSR model: %1 (%2 %)</source>
            <translation>正在加载 FlashVSR 模型：%1（%2 %）</translation>
        </message>
        <message>
            <source>Loading the FlashVSR model…</source>
            <translation>正在加载 FlashVSR 模型…</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <source>Upscaled preview paused while an export runs</source>
            <translation>导出进行中，放大预览已暂停</translation>
        </message>
    </context>
    <context>
        <name>ExportDialog</name>
        <message>
            <source>Export</source>
            <translation>导出</translation>
        </message>
        <message>
            <source>Output folder</source>
            <translation>输出文件夹</translation>
        </message>
        <message>
            <source>Preset</source>
            <translation>预设</translation>
        </message>
        <message>
            <source>Codec / container</source>
            <translation>编码器 / 容器</translation>
        </message>
        <message>
            <source>codec, e.g. libx264</source>
            <translation>编码器，例如 libx264</translation>
        </message>
        <message>
            <source>container</source>
            <translation>容器</translation>
        </message>
        <message>
            <source>Pixel format</source>
            <translation>像素格式</translation>
        </message>
        <message>
            <source>automatic</source>
            <translation>自动</translation>
        </message>
        <message>
            <source>Quality</source>
            <translation>质量</translation>
        </message>
        <message>
            <source>CRF</source>
            <translation>CRF</translation>
        </message>
        <message>
            <source>Bitrate</source>
            <translation>码率</translation>
        </message>
        <message>
            <source>Mbit/s</source>
            <translation>Mbit/s</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>尺寸</translation>
        </message>
        <message>
            <source>Scale factor</source>
            <translation>放大倍数</translation>
        </message>
        <message>
            <source>Target size</source>
            <translation>目标尺寸</translation>
        </message>
        <message>
            <source>Range</source>
            <translation>范围</translation>
        </message>
        <message>
            <source>Only in/out: frames %1 to %2</source>
            <translation>仅入点/出点：第 %1 到 %2 帧</translation>
        </message>
        <message>
            <source>Whole clip (set in/out with I and O)</source>
            <translation>整个片段（用 I 和 O 设置入点/出点）</translation>
        </message>
        <message>
            <source>Engine</source>
            <translation>引擎</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Detect version</source>
            <translation>自动检测版本</translation>
        </message>
        <message>
            <source>Tiny decoder</source>
            <translation>轻量解码器</translation>
        </message>
        <message>
            <source>Full VAE decoder</source>
            <translation>完整 VAE 解码器</translation>
        </message>
        <message>
            <source>Sparse ratio</source>
            <translation>稀疏比例</translation>
        </message>
        <message>
            <source>next to the source</source>
            <translation>与源文件相同的文件夹</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <source>File name</source>
            <translation>文件名</translation>
        </message>
        <message>
            <source>Tokens: {name} {engine} {scale} {preset} {date}</source>
            <translation>可用标记：{name} {engine} {scale} {preset} {date}</translation>
        </message>
        <message>
            <source>Writes</source>
            <translation>写入</translation>
        </message>
        <message>
            <source>Add to queue</source>
            <translation>加入队列</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Cannot run: %1</source>
            <translation>无法运行：%1</translation>
        </message>
    </context>
    <context>
        <name>ExportPresets</name>
        <message>
            <source>ProRes 422 HQ for editing</source>
            <translation>ProRes 422 HQ（用于剪辑）</translation>
        </message>
        <message>
            <source>Large files, edits smoothly in Premiere, Resolve and Final Cut</source>
            <translation>文件较大，在 Premiere、Resolve 和 Final Cut 中剪辑流畅</translation>
        </message>
        <message>
            <source>H.265 10-bit</source>
            <translation>H.265 10 位</translation>
        </message>
        <message>
            <source>Small files, keeps gradients free of banding</source>
            <translation>文件小，渐变无色带</translation>
        </message>
        <message>
            <source>H.264 for the web</source>
            <translation>H.264（用于网络）</translation>
        </message>
        <message>
            <source>Plays everywhere: browsers, phones, social media</source>
            <translation>随处可播放：浏览器、手机、社交媒体</translation>
        </message>
        <message>
            <source>AV1 (SVT-AV1)</source>
            <translation>AV1（SVT-AV1）</translation>
        </message>
        <message>
            <source>The smallest files for the quality; slower to encode</source>
            <translation>同等质量下文件最小；编码较慢</translation>
        </message>
        <message>
            <source>FFV1 lossless archive</source>
            <translation>FFV1 无损归档</translation>
        </message>
        <message>
            <source>Mathematically lossless, for archiving</source>
            <translation>数学意义上无损，用于归档</translation>
        </message>
        <message>
            <source>PNG sequence</source>
            <translation>PNG 图像序列</translation>
        </message>
        <message>
            <source>One lossless image per frame, for compositing</source>
            <translation>每帧一张无损图像，用于合成</translation>
        </message>
        <message>
            <source>H.265 10-bit (NVENC)</source>
            <translation>H.265 10 位（NVENC）</translation>
        </message>
        <message>
            <source>Hardware encoding on NVIDIA GPUs</source>
            <translation>在 NVIDIA GPU 上硬件编码</translation>
        </message>
    </context>
    <context>
        <name>ExportQueuePanel</name>
        <message>
            <source>%1 min %2 s left</source>
            <translation>剩余 %1 分 %2 秒</translation>
        </message>
        <message>
            <source>%1 s left</source>
            <translation>剩余 %1 秒</translation>
        </message>
        <message>
            <source>Export queue</source>
            <translation>导出队列</translation>
        </message>
        <message>
            <source>No exports yet. Press Ctrl+E to export the open clip.</source>
            <translation>还没有导出任务。按 Ctrl+E 导出当前片段。</translation>
        </message>
        <message>
            <source>%1 % · %2 fps · %3</source>
            <translation>%1 % · %2 帧/秒 · %3</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <source>Restart</source>
            <translation>从头开始</translation>
        </message>
        <message>
            <source>Render again from the first frame (its finished segments are deleted)</source>
            <translation>从第一帧重新渲染（已完成的分段会被删除）</translation>
        </message>
        <message>
            <source>Remove</source>
            <translation>移除</translation>
        </message>
        <message>
            <source>Open folder</source>
            <translation>打开文件夹</translation>
        </message>
    </context>
    <context>
        <name>Main</name>
        <message>
            <source>Open a video first, then export it.</source>
            <translation>请先打开一个视频，再导出。</translation>
        </message>
        <message>
            <source>%1 — FlashVSR Studio</source>
            <translation>%1 — FlashVSR 工作室</translation>
        </message>
        <message>
            <source>FlashVSR Studio</source>
            <translation>FlashVSR 工作室</translation>
        </message>
        <message>
            <source>Cannot open %1: %2</source>
            <translation>无法打开 %1：%2</translation>
        </message>
        <message>
            <source>Export finished: %1</source>
            <translation>导出完成：%1</translation>
        </message>
        <message>
            <source>Export failed: %1 — %2</source>
            <translation>导出失败：%1 — %2</translation>
        </message>
        <message>
            <source>Open videos</source>
            <translation>打开视频</translation>
        </message>
        <message>
            <source>Videos (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.ts *.m2ts *.mpg *.y4m)</source>
            <translation>视频 (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.ts *.m2ts *.mpg *.y4m)</translation>
        </message>
        <message>
            <source>All files (*)</source>
            <translation>所有文件 (*)</translation>
        </message>
        <message>
            <source>Open…</source>
            <translation>打开…</translation>
        </message>
        <message>
            <source>Recent</source>
            <translation>最近</translation>
        </message>
        <message>
            <source>Clear recent files</source>
            <translation>清除最近文件</translation>
        </message>
        <message>
            <source>Side by side</source>
            <translation>并排</translation>
        </message>
        <message>
            <source>Split</source>
            <translation>分割</translation>
        </message>
        <message>
            <source>A/B</source>
            <translation>A/B</translation>
        </message>
        <message>
            <source>−</source>
            <translation>−</translation>
        </message>
        <message>
            <source>Zoom out (−)</source>
            <translation>缩小 (−)</translation>
        </message>
        <message>
            <source>%1 %</source>
            <translation>%1 %</translation>
        </message>
        <message>
            <source>Fit</source>
            <translation>适应</translation>
        </message>
        <message>
            <source>+</source>
            <translation>+</translation>
        </message>
        <message>
            <source>Zoom in (+)</source>
            <translation>放大 (+)</translation>
        </message>
        <message>
            <source>100 %</source>
            <translation>100 %</translation>
        </message>
        <message>
            <source>Export…</source>
            <translation>导出…</translation>
        </message>
        <message>
            <source>Queue (%1)</source>
            <translation>队列 (%1)</translation>
        </message>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Only files and folders can be dropped here.</source>
            <translation>这里只能拖放文件和文件夹。</translation>
        </message>
        <message>
            <source>Drop videos or folders to open them</source>
            <translation>拖放视频或文件夹以打开</translation>
        </message>
        <message>
            <source>An export is running</source>
            <translation>正在导出</translation>
        </message>
        <message>
            <source>Keep exporting</source>
            <translation>继续导出</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>退出</translation>
        </message>
        <message>
            <source>Quit now? The export stops and resumes from its last completed segment the next time FlashVSR Studio starts.</source>
            <translation>现在退出吗？导出将停止，下次启动 FlashVSR Studio 时从最后完成的片段继续。</translation>
        </message>
    </context>
    <context>
        <name>SettingsPage</name>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>FlashVSR models folder</source>
            <translation>FlashVSR 模型文件夹</translation>
        </message>
        <message>
            <source>Models folder</source>
            <translation>模型文件夹</translation>
        </message>
        <message>
            <source>search the default folders</source>
            <translation>搜索默认文件夹</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <source>Check</source>
            <translation>检查</translation>
        </message>
        <message>
            <source>Model status</source>
            <translation>模型状态</translation>
        </message>
        <message>
            <source>Usable: FlashVSR %1 in %2</source>
            <translation>可用：FlashVSR %1，位于 %2</translation>
        </message>
        <message>
            <source>Not usable — the preview and exports use Lanczos until this is fixed.</source>
            <translation>不可用 — 在解决之前，预览和导出使用 Lanczos。</translation>
        </message>
        <message>
            <source>Device</source>
            <translation>设备</translation>
        </message>
        <message>
            <source>%1 (%2 GiB), %3</source>
            <translation>%1（%2 GiB），%3</translation>
        </message>
        <message>
            <source>%1 — no CUDA GPU found; FlashVSR would run on the CPU (very slow)</source>
            <translation>%1 — 未找到 CUDA GPU；FlashVSR 将在 CPU 上运行（非常慢）</translation>
        </message>
        <message>
            <source>Preview engine</source>
            <translation>预览引擎</translation>
        </message>
        <message>
            <source>Default export preset</source>
            <translation>默认导出预设</translation>
        </message>
        <message>
            <source>Theme</source>
            <translation>主题</translation>
        </message>
        <message>
            <source>Follow the system</source>
            <translation>跟随系统</translation>
        </message>
        <message>
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>SourcePanel</name>
        <message>
            <source>%1 GiB</source>
            <translation>%1 GiB</translation>
        </message>
        <message>
            <source>unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <source>Clips</source>
            <translation>片段</translation>
        </message>
        <message>
            <source>No clips yet.</source>
            <translation>还没有片段。</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>源</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Video</source>
            <translation>视频</translation>
        </message>
        <message>
            <source>%1, %2×%3</source>
            <translation>%1，%2×%3</translation>
        </message>
        <message>
            <source>Frame rate</source>
            <translation>帧率</translation>
        </message>
        <message>
            <source> (variable)</source>
            <translation>（可变）</translation>
        </message>
        <message>
            <source>Frames</source>
            <translation>帧数</translation>
        </message>
        <message>
            <source>≈ %1</source>
            <translation>≈ %1</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>时长</translation>
        </message>
        <message>
            <source>Pixels</source>
            <translation>像素</translation>
        </message>
        <message>
            <source>%1, %2-bit</source>
            <translation>%1，%2 位</translation>
        </message>
        <message>
            <source>Other streams</source>
            <translation>其他流</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message>
            <source>Nothing open.</source>
            <translation>未打开任何文件。</translation>
        </message>
        <message>
            <source>Engine</source>
            <translation>引擎</translation>
        </message>
        <message>
            <source>Preview engine: %1</source>
            <translation>预览引擎：%1</translation>
        </message>
        <message>
            <source>Preview engine: starting…</source>
            <translation>预览引擎：正在启动…</translation>
        </message>
        <message>
            <source>FlashVSR %1 weights found in %2</source>
            <translation>已在 %2 找到 FlashVSR %1 权重</translation>
        </message>
        <message>
            <source>FlashVSR weights: not found (see Settings)</source>
            <translation>FlashVSR 权重：未找到（见设置）</translation>
        </message>
        <message>
            <source>GPU: %1, %2 free of %3</source>
            <translation>GPU：%1，可用 %2 / 共 %3</translation>
        </message>
        <message>
            <source>Device: %1 (no CUDA GPU)</source>
            <translation>设备：%1（无 CUDA GPU）</translation>
        </message>
        <message>
            <source>Preview engine: loading the FlashVSR model…</source>
            <translation>预览引擎：正在加载 FlashVSR 模型…</translation>
        </message>
        <message>
            <source>Preview engine: none</source>
            <translation>预览引擎：无</translation>
        </message>
    </context>
    <context>
        <name>StudioServices</name>
        <message>
            <source>this build has no FlashVSR engine (no LibTorch)</source>
            <translation>此版本不含 FlashVSR 引擎（没有 LibTorch）</translation>
        </message>
    </context>
    <context>
        <name>TimelineBar</name>
        <message>
            <source>Previous frame (←)</source>
            <translation>上一帧 (←)</translation>
        </message>
        <message>
            <source>Play or pause (Space)</source>
            <translation>播放或暂停（空格）</translation>
        </message>
        <message>
            <source>Next frame (→)</source>
            <translation>下一帧 (→)</translation>
        </message>
        <message>
            <source>%1  frame %2 / %3</source>
            <translation>%1  第 %2 / %3 帧</translation>
        </message>
        <message>
            <source>In (I)</source>
            <translation>入点 (I)</translation>
        </message>
        <message>
            <source>Out (O)</source>
            <translation>出点 (O)</translation>
        </message>
        <message>
            <source>Clear in/out</source>
            <translation>清除入点/出点</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::AppSettings</name>
        <message>
            <source>CPU</source>
            <translation>CPU</translation>
        </message>
        <message>
            <source>FlashVSR is not part of this build</source>
            <translation>此版本不包含 FlashVSR</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::ExportQueueModel</name>
        <message>
            <source>Queued</source>
            <translation>排队中</translation>
        </message>
        <message>
            <source>Exporting</source>
            <translation>正在导出</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Interrupted (will resume)</source>
            <translation>已中断（将继续）</translation>
        </message>
        <message>
            <source>The export queue could not be read: %1</source>
            <translation>无法读取导出队列：%1</translation>
        </message>
        <message>
            <source>Nothing to export: open a video first.</source>
            <translation>没有可导出的内容：请先打开一个视频。</translation>
        </message>
        <message>
            <source>The out point is before the in point.</source>
            <translation>出点在入点之前。</translation>
        </message>
        <message>
            <source>Cannot write %1: %2</source>
            <translation>无法写入 %1：%2</translation>
        </message>
        <message>
            <source>Could not add the job: %1</source>
            <translation>无法添加任务：%1</translation>
        </message>
        <message>
            <source>%1 needs an NVIDIA GPU with its driver; none was found.</source>
            <translation>%1 需要 NVIDIA GPU 及其驱动，但未找到。</translation>
        </message>
        <message>
            <source>The encoder %1 is not available in this FFmpeg.</source>
            <translation>此 FFmpeg 中没有编码器 %1。</translation>
        </message>
        <message>
            <source>The output size is not possible: %1</source>
            <translation>无法输出该尺寸：%1</translation>
        </message>
        <message>
            <source>FlashVSR has no usable weights: %1</source>
            <translation>FlashVSR 没有可用的权重：%1</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::ExportRunner</name>
        <message>
            <source>The export queue is being run by another process; the app shows its progress.</source>
            <translation>导出队列正由另一个进程运行；本应用显示其进度。</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::PreviewController</name>
        <message>
            <source>%1 is not available, so the preview uses Lanczos: %2</source>
            <translation>%1 不可用，因此预览使用 Lanczos：%2</translation>
        </message>
        <message>
            <source>No engine could be started, so only the source is shown: %1</source>
            <translation>无法启动任何引擎，因此只显示源画面：%1</translation>
        </message>
        <message>
            <source>Preview failed: %1</source>
            <translation>预览失败：%1</translation>
        </message>
        <message>
            <source>Cannot open %1: %2</source>
            <translation>无法打开 %1：%2</translation>
        </message>
        <message>
            <source>Model loading cancelled; the source is shown without upscaling.</source>
            <translation>模型加载已取消；显示未放大的源画面。</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::SourceListModel</name>
        <message>
            <source>only local files can be opened</source>
            <translation>只能打开本地文件</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message numerus="yes">
            <source>(and %n more not opened)</source>
            <translation>
                <numerusform>（另有 %n 个未打开）</numerusform>
            </translation>
        </message>
        <message>
            <source>the file does not exist</source>
            <translation>文件不存在</translation>
        </message>
        <message>
            <source>the folder contains no video files</source>
            <translation>文件夹中没有视频文件</translation>
        </message>
        <message>
            <source>the file cannot be read (permissions)</source>
            <translation>无法读取文件（权限不足）</translation>
        </message>
        <message>
            <source>the file is empty</source>
            <translation>文件为空</translation>
        </message>
        <message>
            <source>not a video file this application opens</source>
            <translation>不是本应用能打开的视频文件</translation>
        </message>
    </context>
    <context>
        <name>main</name>
        <message>
            <source>Upscale videos with FlashVSR: compare before and after, queue exports.</source>
            <translation>使用 FlashVSR 放大视频：对比前后效果，排队导出。</translation>
        </message>
        <message>
            <source>Videos or folders to open.</source>
            <translation>要打开的视频或文件夹。</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::VideoTextureItem</name>
        <message>
            <source>GPU frames need the OpenGL scene graph; showing the original only</source>
            <translation>GPU 帧需要 OpenGL 场景图；只显示原始画面</translation>
        </message>
        <message>
            <source>CUDA-OpenGL interop failed (%1); showing the original only</source>
            <translation>CUDA-OpenGL 互操作失败（%1）；只显示原始画面</translation>
        </message>
        <message>
            <source>The scene graph cannot wrap the interop texture; showing the original only</source>
            <translation>场景图无法包装互操作纹理；只显示原始画面</translation>
        </message>
        <message>
            <source>This build cannot show GPU frames (no CUDA-OpenGL interop)</source>
            <translation>此版本无法显示 GPU 帧（没有 CUDA-OpenGL 互操作）</translation>
        </message>
    </context>
    <context>
        <name>fvs::ui::FileChooser</name>
        <message>
            <source>The file dialog cannot be shown: %1</source>
            <translation>无法显示文件对话框：%1</translation>
        </message>
        <message>
            <source>The file dialog cannot be shown: unexpected dialog type</source>
            <translation>无法显示文件对话框：对话框类型不符</translation>
        </message>
        <message>
            <source>The file dialog cannot be shown.</source>
            <translation>无法显示文件对话框。</translation>
        </message>
        <message>
            <source>The file dialog cannot be shown: Qt Quick&apos;s dialog is missing modules (%1) and this process has no widgets application for the fallback. Drop the files onto the window instead.</source>
            <translation>无法显示文件对话框：Qt Quick 对话框缺少模块（%1），且此进程没有可替代的 Widgets 应用程序。请改为将文件拖放到窗口中。</translation>
        </message>
    </context>
</TS>