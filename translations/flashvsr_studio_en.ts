<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
    <context>
        <name>CompareView</name>
        <message>
            <source>FlashVSR</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Lanczos</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Bicubic</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Upscaled</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Comparison divider</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Original</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 — upscaling…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Opening…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Drop a video, several videos or a folder anywhere</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Open a video…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Loading the model…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Not upscaled</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Model loading cancelled</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Loading the FlashVSR model: %1 (%2 %)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Loading the FlashVSR model…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cancel</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Retry</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Upscaled preview paused while an export runs</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>ExportDialog</name>
        <message>
            <source>Export</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Output folder</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preset</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Codec / container</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>codec, e.g. libx264</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>container</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Pixel format</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>automatic</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Quality</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>CRF</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Bitrate</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Mbit/s</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Size</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Scale factor</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Target size</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Range</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Only in/out: frames %1 to %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Whole clip (set in/out with I and O)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Engine</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Model</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Detect version</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Tiny decoder</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Full VAE decoder</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Sparse ratio</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>next to the source</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Choose…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>File name</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Tokens: {name} {engine} {scale} {preset} {date}</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Writes</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Add to queue</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cancel</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cannot run: %1</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>ExportPresets</name>
        <message>
            <source>ProRes 422 HQ for editing</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Large files, edits smoothly in Premiere, Resolve and Final Cut</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>H.265 10-bit</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Small files, keeps gradients free of banding</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>H.264 for the web</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Plays everywhere: browsers, phones, social media</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>AV1 (SVT-AV1)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The smallest files for the quality; slower to encode</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FFV1 lossless archive</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Mathematically lossless, for archiving</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>PNG sequence</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>One lossless image per frame, for compositing</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>H.265 10-bit (NVENC)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Hardware encoding on NVIDIA GPUs</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>ExportQueuePanel</name>
        <message>
            <source>%1 min %2 s left</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 s left</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Export queue</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>No exports yet. Press Ctrl+E to export the open clip.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 % · %2 fps · %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Pause</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Resume</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cancel</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Retry</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Restart</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Render again from the first frame (its finished segments are deleted)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Remove</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Open folder</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>Main</name>
        <message>
            <source>Open a video first, then export it.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 — FlashVSR Studio</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR Studio</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cannot open %1: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Export finished: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Export failed: %1 — %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Open videos</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Videos (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.ts *.m2ts *.mpg *.y4m)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>All files (*)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Open…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Recent</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Clear recent files</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Side by side</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Split</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>A/B</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>−</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Zoom out (−)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 %</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Fit</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>+</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Zoom in (+)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>100 %</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Export…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Queue (%1)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Settings</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Only files and folders can be dropped here.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Drop videos or folders to open them</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>An export is running</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Keep exporting</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Quit</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Quit now? The export stops and resumes from its last completed segment the next time FlashVSR Studio starts.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>SettingsPage</name>
        <message>
            <source>Settings</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR models folder</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Models folder</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>search the default folders</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Choose…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Check</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Model status</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Usable: FlashVSR %1 in %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Not usable — the preview and exports use Lanczos until this is fixed.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Device</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 (%2 GiB), %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 — no CUDA GPU found; FlashVSR would run on the CPU (very slow)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview engine</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Default export preset</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Theme</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Follow the system</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Light</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Dark</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Language</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Close</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>SourcePanel</name>
        <message>
            <source>%1 GiB</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>unknown</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Clips</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>No clips yet.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Source</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>File</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Video</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1, %2×%3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Frame rate</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source> (variable)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Frames</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>≈ %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Duration</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Pixels</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1, %2-bit</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Other streams</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>none</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Nothing open.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Engine</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview engine: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview engine: starting…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR %1 weights found in %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR weights: not found (see Settings)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>GPU: %1, %2 free of %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Device: %1 (no CUDA GPU)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview engine: loading the FlashVSR model…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview engine: none</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>StudioServices</name>
        <message>
            <source>this build has no FlashVSR engine (no LibTorch)</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>TimelineBar</name>
        <message>
            <source>Previous frame (←)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Play or pause (Space)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Next frame (→)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1  frame %2 / %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>In (I)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Out (O)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Clear in/out</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::AppSettings</name>
        <message>
            <source>CPU</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR is not part of this build</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::ExportQueueModel</name>
        <message>
            <source>Queued</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Exporting</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Paused</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Done</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Failed</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cancelled</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Interrupted (will resume)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The export queue could not be read: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Nothing to export: open a video first.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The out point is before the in point.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cannot write %1: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Could not add the job: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 needs an NVIDIA GPU with its driver; none was found.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The encoder %1 is not available in this FFmpeg.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The output size is not possible: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>FlashVSR has no usable weights: %1</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::ExportRunner</name>
        <message>
            <source>The export queue is being run by another process; the app shows its progress.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::PreviewController</name>
        <message>
            <source>%1 is not available, so the preview uses Lanczos: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>No engine could be started, so only the source is shown: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Preview failed: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cannot open %1: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Model loading cancelled; the source is shown without upscaling.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::SourceListModel</name>
        <message>
            <source>only local files can be opened</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: %2</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>(and %n more not opened)</source>
            <translation type="unfinished">
                <numerusform />
                <numerusform />
            </translation>
        </message>
        <message>
            <source>the file does not exist</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>the folder contains no video files</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>the file cannot be read (permissions)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>the file is empty</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>not a video file this application opens</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>main</name>
        <message>
            <source>Upscale videos with FlashVSR: compare before and after, queue exports.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Videos or folders to open.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::VideoTextureItem</name>
        <message>
            <source>GPU frames need the OpenGL scene graph; showing the original only</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>CUDA-OpenGL interop failed (%1); showing the original only</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The scene graph cannot wrap the interop texture; showing the original only</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>This build cannot show GPU frames (no CUDA-OpenGL interop)</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>fvs::ui::FileChooser</name>
        <message>
            <source>The file dialog cannot be shown: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The file dialog cannot be shown: unexpected dialog type</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The file dialog cannot be shown.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The file dialog cannot be shown: Qt Quick&apos;s dialog is missing modules (%1) and this process has no widgets application for the fallback. Drop the files onto the window instead.</source>
            <translation type="unfinished" />
        </message>
    </context>
</TS>