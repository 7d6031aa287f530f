# Provides the target fvs::torch.
# CPU builds link only libtorch_cpu + libc10 from the project's .venv torch wheel, so no CUDA
# libraries are needed at run time. CUDA builds (FVS_WITH_CUDA) use the wheel's own TorchConfig.
set(FVS_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python whose torch provides LibTorch")
if(NOT EXISTS "${FVS_PYTHON}")
  find_program(FVS_PYTHON_FALLBACK python3 REQUIRED)
  set(FVS_PYTHON "${FVS_PYTHON_FALLBACK}" CACHE FILEPATH "" FORCE)
endif()
execute_process(
  COMMAND "${FVS_PYTHON}" -c "import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__)"
  OUTPUT_VARIABLE _fvs_torch_out RESULT_VARIABLE _fvs_torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _fvs_torch_rc EQUAL 0)
  message(FATAL_ERROR "torch is not importable by ${FVS_PYTHON}; run packaging/setup-deps.sh")
endif()
string(REPLACE "\n" ";" _fvs_torch_out "${_fvs_torch_out}")
list(GET _fvs_torch_out 0 FVS_TORCH_DIR)
list(GET _fvs_torch_out 1 FVS_TORCH_VERSION)
message(STATUS "LibTorch ${FVS_TORCH_VERSION} from ${FVS_TORCH_DIR}")

if(FVS_WITH_CUDA)
  list(APPEND CMAKE_PREFIX_PATH "${FVS_TORCH_DIR}/share/cmake")
  find_package(Torch REQUIRED)
  find_package(CUDAToolkit REQUIRED)
  add_library(fvs_torch INTERFACE)
  target_link_libraries(fvs_torch INTERFACE ${TORCH_LIBRARIES} CUDA::cudart)
  target_include_directories(fvs_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  target_compile_definitions(fvs_torch INTERFACE FVS_HAVE_CUDA=1)
else()
  add_library(fvs_torch INTERFACE)
  target_include_directories(fvs_torch SYSTEM INTERFACE
    "${FVS_TORCH_DIR}/include" "${FVS_TORCH_DIR}/include/torch/csrc/api/include")
  target_link_libraries(fvs_torch INTERFACE
    "${FVS_TORCH_DIR}/lib/libtorch_cpu.so" "${FVS_TORCH_DIR}/lib/libc10.so")
  target_link_options(fvs_torch INTERFACE "-Wl,-rpath,${FVS_TORCH_DIR}/lib")
  target_compile_definitions(fvs_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1)
endif()
add_library(fvs::torch ALIAS fvs_torch)
